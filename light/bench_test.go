package light_test

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/gossip"
	"github.com/tinychain/tinychain/internal/testchain"
	"github.com/tinychain/tinychain/light"
	"github.com/tinychain/tinychain/node"
	"github.com/tinychain/tinychain/wallet"
)

// shared full nodes of the benchmarks, by height: made once a process
// (100,000 blocks take a minute), closed and removed by TestMain.
var (
	sharedMu    sync.Mutex
	sharedNodes = map[int]*sharedNode{}
)

type sharedNode struct {
	n    *node.Node
	info peer.AddrInfo
	dir  string
}

// closeShared closes the shared full nodes and removes their data.
func closeShared() {
	sharedMu.Lock()
	defer sharedMu.Unlock()
	for k, s := range sharedNodes {
		s.n.Close()
		os.RemoveAll(s.dir)
		delete(sharedNodes, k)
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	closeShared()
	os.Exit(code)
}

// quietFullNode returns a full node on 127.0.0.1 that logs nothing, with
// k empty blocks mined on the easy genesis, shared by the benchmarks.
func quietFullNode(b *testing.B, g *chain.Genesis, k int) (*node.Node, peer.AddrInfo) {
	b.Helper()
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if s := sharedNodes[k]; s != nil {
		return s.n, s.info
	}
	dir, err := os.MkdirTemp("", "light-bench")
	if err != nil {
		b.Fatal(err)
	}
	quiet := slog.New(slog.DiscardHandler)
	n, err := node.New(node.Config{DataDir: dir, Genesis: g, HTTPAddr: "127.0.0.1:0", Logger: quiet,
		P2P: &gossip.Config{Listen: []string{"/ip4/127.0.0.1/tcp/0"}, Logger: quiet}})
	if err != nil {
		b.Fatal(err)
	}
	if err := n.Start(); err != nil {
		b.Fatal(err)
	}
	sharedNodes[k] = &sharedNode{n: n, dir: dir}
	tc := &testchain.Chain{T: b, G: g, C: n.Chain}
	for range k {
		if err := n.Chain.ProcessBlock(tc.MineOnHead(wallet.DevAddress(9))); err != nil {
			b.Fatal(err)
		}
	}
	addr, _ := ma.NewMultiaddr(n.Net.ListenAddrs()[0])
	info, err := peer.AddrInfoFromP2pAddr(addr)
	if err != nil {
		b.Fatal(err)
	}
	sharedNodes[k].info = *info
	return n, *info
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkHeaderSync measures how fast a fresh light node (light.Node,
// its own LevelDB, libp2p on 127.0.0.1) syncs a full node's 10,000 or
// 100,000 headers: from Start until its tip is the full node's head
// (start-up and connection included). headers/s is wall time; cpu-µs a
// header is the process's CPU time, the full node's serving included (it
// runs in this process).
func BenchmarkHeaderSync(b *testing.B) {
	for _, k := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("%dk", k/1000), func(b *testing.B) {
			g := genesis()
			full, info := quietFullNode(b, g, k)
			head := full.Chain.Head().Hash
			boot := []string{fmt.Sprintf("%s/p2p/%s", info.Addrs[0], info.ID)}
			var cpu time.Duration
			b.ResetTimer()
			for range b.N {
				c0 := cpuTime()
				l, err := light.New(light.Config{DataDir: b.TempDir(), Genesis: g, Listen: []string{"/ip4/127.0.0.1/tcp/0"},
					Bootstrap: boot, Logger: slog.New(slog.DiscardHandler)})
				if err != nil {
					b.Fatal(err)
				}
				if err := l.Start(); err != nil {
					b.Fatal(err)
				}
				for deadline := time.Now().Add(10 * time.Minute); ; time.Sleep(time.Millisecond) {
					if tip, _, _ := l.Store().Tip(); tip == head {
						break
					}
					if time.Now().After(deadline) {
						b.Fatal("not synced in 10 minutes")
					}
				}
				cpu += cpuTime() - c0
				b.StopTimer()
				l.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(k*b.N)/b.Elapsed().Seconds(), "headers/s")
			b.ReportMetric(float64(cpu.Microseconds())/float64(k*b.N), "cpu-µs/header")
		})
	}
}

// BenchmarkLightRSS measures a light node's memory with 100,000 headers:
// a child process (this test binary, running TestLightRSSChild: only a
// light.Node, no full node) syncs them from a full node in this process,
// and reports its peak resident memory (VmHWM) and its resident memory
// after a GC (VmRSS), from /proc/self/status. LIGHT_RSS_PPROF=FILE makes
// the child write a heap profile there.
func BenchmarkLightRSS(b *testing.B) {
	const k = 100_000
	g := genesis()
	_, info := quietFullNode(b, g, k)
	b.ResetTimer()
	for range b.N {
		cmd := exec.Command(os.Args[0], "-test.run", "^TestLightRSSChild$", "-test.v")
		cmd.Env = append(os.Environ(), fmt.Sprintf("LIGHT_RSS_CHILD=%s/p2p/%s", info.Addrs[0], info.ID),
			fmt.Sprintf("LIGHT_RSS_HEIGHT=%d", k))
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("child: %v\n%s", err, out)
		}
		var rss, hwm, headers, anon, peakAnon int
		sc := bufio.NewScanner(strings.NewReader(string(out)))
		for sc.Scan() {
			fmt.Sscanf(sc.Text(), "light rss_kb=%d hwm_kb=%d headers=%d anon_kb=%d peak_anon_kb=%d", &rss, &hwm, &headers, &anon, &peakAnon)
		}
		b.Logf("child: %s", out[strings.LastIndex(string(out), "light rss"):])
		if headers != k+1 || rss == 0 {
			b.Fatalf("child said:\n%s", out)
		}
		b.ReportMetric(float64(hwm)/1024, "peak_MB")
		b.ReportMetric(float64(rss)/1024, "rss_MB")
		b.ReportMetric(float64(anon)/1024, "anon_MB")
		b.ReportMetric(float64(peakAnon)/1024, "peak_anon_MB")
	}
}

// TestLightRSSChild is BenchmarkLightRSS's child; it runs only when the
// benchmark runs it.
func TestLightRSSChild(t *testing.T) {
	boot := os.Getenv("LIGHT_RSS_CHILD")
	if boot == "" {
		t.Skip("BenchmarkLightRSS's child")
	}
	want, _ := strconv.ParseUint(os.Getenv("LIGHT_RSS_HEIGHT"), 10, 64)
	l, err := light.New(light.Config{DataDir: t.TempDir(), Genesis: genesis(), Listen: []string{"/ip4/127.0.0.1/tcp/0"},
		Bootstrap: []string{boot}, HTTPAddr: "127.0.0.1:0", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Start(); err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	peakAnon := 0 // KB: VmHWM counts the binary's mapped image too
	for {
		if _, h, _ := l.Store().Tip(); h >= want {
			break
		}
		if ctx.Err() != nil {
			t.Fatal("not synced")
		}
		time.Sleep(10 * time.Millisecond)
		peakAnon = max(peakAnon, procStatus()["RssAnon:"])
	}
	runtime.GC()
	debug.FreeOSMemory()
	if path := os.Getenv("LIGHT_RSS_PPROF"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		pprof.WriteHeapProfile(f)
		f.Close()
	}
	kb := procStatus()
	if len(kb) == 0 {
		t.Skip("no /proc")
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("light rss_kb=%d hwm_kb=%d headers=%d anon_kb=%d peak_anon_kb=%d\n", kb["VmRSS:"], kb["VmHWM:"], l.Store().Len(),
		kb["RssAnon:"], max(peakAnon, kb["RssAnon:"]))
	fmt.Printf("file_kb=%d heap_inuse_kb=%d heap_sys_kb=%d stack_kb=%d sys_kb=%d goroutines=%d\n",
		kb["RssFile:"], ms.HeapInuse>>10, ms.HeapSys>>10, ms.StackInuse>>10, ms.Sys>>10, runtime.NumGoroutine())
}

// procStatus returns the kB fields of /proc/self/status (empty without /proc).
func procStatus() map[string]int {
	kb := map[string]int{}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return kb
	}
	for _, line := range strings.Split(string(status), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[2] == "kB" {
			kb[f[0]], _ = strconv.Atoi(f[1])
		}
	}
	return kb
}
