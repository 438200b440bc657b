package zk

import (
	"fmt"
	"os"
	"runtime/metrics"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tinychain/tinychain/vm"
)

// benchLogs are the sizes to benchmark: the smallest, and with
// ZK_BENCH_SIZES=10,12,14,16 (not in -short) the ones named there. Each
// size's setup is minutes and gigabytes above the smallest.
func benchLogs(tb testing.TB) []int {
	env := os.Getenv("ZK_BENCH_SIZES")
	if env == "" || testing.Short() {
		return Logs[:1]
	}
	var logs []int
	for _, f := range strings.Split(env, ",") {
		l, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			tb.Fatal(err)
		}
		logs = append(logs, l)
	}
	return logs
}

// fillerRun is a run that uses all but a few of size s's rows: an outer
// loop of a inner loops of b, then a straight line of + to make up the
// rest.
func fillerRun(tb testing.TB, s Size) *Run {
	target := s.Steps - 1 // steps; the halt row is the last
	for b := 200; b > 0; b -= 10 {
		a := min((target-1)/(3*b+6), 255)
		if a == 0 {
			continue
		}
		code := strings.Repeat("+", a) + "[>" + strings.Repeat("+", b) + "[-]<-]>>"
		r := mustRun(tb, code, nil, "", vm.Limits{Gas: 1 << 30})
		rest := target - len(r.Steps)
		if rest < 0 || len(code)+rest >= s.Code {
			continue
		}
		r = mustRun(tb, code+strings.Repeat("+", rest), nil, "", vm.Limits{Gas: 1 << 30})
		if s.fits(r) == nil {
			return r
		}
	}
	tb.Fatalf("no filler for %s", s)
	return nil
}

// cpuTime is the process's user and system CPU time: on a shared machine
// it says more than the wall clock (proving uses both cores when it has them).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakHeap samples the live heap every 10 ms until stop is closed.
func peakHeap(stop chan struct{}) chan uint64 {
	out := make(chan uint64, 1)
	go func() {
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		var peak uint64
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			select {
			case <-stop:
				out <- peak
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	return out
}

// maxRSS is the process's peak resident memory so far.
func maxRSS() uint64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return uint64(ru.Maxrss) << 10
}

// BenchmarkProve sets up each size, proves a run filling it and verifies
// the proof, and reports constraints per row, setup and prove time (wall
// and CPU: the machine is shared), the peak live heap while proving, the
// process's peak RSS, the proof's size and the verify time: the whole of
// Verify (statement to public witness, proof decoding, the pairings) with
// the key already loaded, and loading the key from its file apart.
func BenchmarkProve(b *testing.B) {
	for _, l := range benchLogs(b) {
		s := NewSize(l)
		b.Run(s.String(), func(b *testing.B) {
			start, cpu0 := time.Now(), cpuTime()
			k, err := Setup(s)
			if err != nil {
				b.Fatal(err)
			}
			setup, setupCPU := time.Since(start), cpuTime()-cpu0
			dir := b.TempDir()
			if _, err := k.Write(dir); err != nil {
				b.Fatal(err)
			}
			r := fillerRun(b, s)
			var p *ProofFile
			stop := make(chan struct{})
			peak := peakHeap(stop)
			cpu0 = cpuTime()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if p, err = Prove(k, r); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			cpu := cpuTime() - cpu0
			close(stop)
			const verifies = 50
			start, vcpu0 := time.Now(), cpuTime()
			for i := 0; i < verifies; i++ {
				if err := Verify(k.VK, p); err != nil {
					b.Fatal(err)
				}
			}
			verify, vcpu := time.Since(start)/verifies, (cpuTime()-vcpu0)/verifies
			start = time.Now()
			for i := 0; i < verifies; i++ {
				if _, err := LoadVK(VKFile(dir, s)); err != nil {
					b.Fatal(err)
				}
			}
			load := time.Since(start) / verifies
			n := k.CS.GetNbConstraints()
			b.ReportMetric(float64(n), "constraints")
			b.ReportMetric(float64(n)/float64(s.Steps), "constraints/row")
			b.ReportMetric(float64(len(r.Steps)), "steps")
			b.ReportMetric(setup.Seconds(), "setup-s")
			b.ReportMetric(setupCPU.Seconds(), "setup-cpu-s")
			b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
			b.ReportMetric(float64(<-peak)/(1<<20), "peak-heap-MiB")
			b.ReportMetric(float64(maxRSS())/(1<<20), "max-rss-MiB")
			b.ReportMetric(float64(len(p.Proof)), "proof-bytes")
			b.ReportMetric(float64(verify.Microseconds())/1000, "verify-ms")
			b.ReportMetric(float64(vcpu.Microseconds())/1000, "verify-cpu-ms")
			b.ReportMetric(float64(load.Microseconds())/1000, "load-vk-ms")
			fmt.Fprintf(os.Stderr, "size %s: setup %v (%v CPU), %d constraints\n", s, setup.Round(time.Millisecond), setupCPU.Round(time.Millisecond), n)
		})
	}
}
