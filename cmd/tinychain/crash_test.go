package main_test

import (
	"bufio"
	"context"
	"io"
	"math/big"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/opt"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/chain/blockchain"
	"github.com/tinychain/tinychain/chain/miner"
	"github.com/tinychain/tinychain/gossip"
	"github.com/tinychain/tinychain/internal/testchain"
	"github.com/tinychain/tinychain/node"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/wallet"
)

// Crash tests of the real binary: `tinychain node` is killed with SIGKILL
// at random moments while it mines, while it syncs from a peer and while
// it reorganises onto a heavier fork. After each kill the data dir must
// open on a head at least as heavy as the last block the node logged as
// imported (logged after its batch is written), pass chain.Verify (state,
// height, tx and address indexes agree with the main chain) and equal a
// replay of its main chain from genesis in a fresh database.
//
// TINYCHAIN_CRASH_ROUNDS sets the kills per scenario (default 6).

func crashRounds() int {
	if n, err := strconv.Atoi(os.Getenv("TINYCHAIN_CRASH_ROUNDS")); err == nil && n > 0 {
		return n
	}
	return 6
}

// crashGenesis: easy blocks at a fixed 100 ms spacing keep the target at
// the limit; a 2 s half-life soon slows a miner that runs ahead of the
// schedule to about ten blocks a second.
func crashGenesis(t *testing.T) (*chain.Genesis, string) {
	g := testchain.Genesis()
	g.ChainID = 4343
	g.BlockIntervalMs, g.HalfLifeMs = 100, 2000
	return g, testchain.WriteGenesis(t, g)
}

// proc is a `tinychain node` process whose log is followed.
type proc struct {
	cmd  *exec.Cmd
	url  chan string
	last atomic.Pointer[string] // hash of the last block logged as imported
	// diskErr is the first line that says the disk is full; noSpace
	// counts such lines.
	diskErr atomic.Pointer[string]
	noSpace atomic.Int64
	done    chan struct{}
	log     []string // the last lines, for failures
	mu      sync.Mutex
}

var importedRe = regexp.MustCompile(`msg="imported block" height=\d+ hash=(0x[0-9a-f]{64})`)
var startedRe = regexp.MustCompile(`node started"? http=(\S+)`)

func startProc(t *testing.T, datadir, genesis string, args ...string) *proc {
	t.Helper()
	p := &proc{url: make(chan string, 1), done: make(chan struct{})}
	p.cmd = exec.Command(tinychainBinary(t), append([]string{"node", "--http", "127.0.0.1:0", "--datadir", datadir,
		"--genesis", genesis, "--listen", "/ip4/127.0.0.1/tcp/0", "--mdns=false"}, args...)...)
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.cmd.Process.Kill(); <-p.done })
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			l := sc.Text()
			p.mu.Lock()
			if p.log = append(p.log, l); len(p.log) > 20 {
				p.log = p.log[1:]
			}
			p.mu.Unlock()
			if strings.Contains(l, "no space left on device") {
				p.diskErr.CompareAndSwap(nil, &l)
				p.noSpace.Add(1)
			}
			if m := importedRe.FindStringSubmatch(l); m != nil {
				p.last.Store(&m[1])
			} else if m := startedRe.FindStringSubmatch(l); m != nil {
				p.url <- "http://" + m[1]
			}
		}
		p.cmd.Wait()
	}()
	return p
}

// waitStarted returns the API URL once the node is up.
func (p *proc) waitStarted(t *testing.T) string {
	t.Helper()
	select {
	case u := <-p.url:
		return u
	case <-p.done:
		t.Fatalf("node exited: %v", p.tail())
	case <-time.After(60 * time.Second):
		t.Fatal("node did not start")
	}
	return ""
}

func (p *proc) tail() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.log...)
}

// kill sends SIGKILL and returns the last block the node logged as imported.
func (p *proc) kill(t *testing.T) common.Hash {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
	if h := p.last.Load(); h != nil {
		return common.HexToHash(*h)
	}
	return common.Hash{}
}

// checkCrashed opens the data dir of a killed node and checks it.
func checkCrashed(t *testing.T, g *chain.Genesis, datadir string, committed common.Hash) *blockchain.BlockInfo {
	t.Helper()
	c, err := blockchain.Open(blockchain.Config{Dir: filepath.Join(datadir, "chaindata"), Genesis: g})
	if err != nil {
		t.Fatalf("reopen after SIGKILL: %v", err)
	}
	defer c.Close()
	head := c.Head()
	if committed != (common.Hash{}) {
		info, err := c.HeaderByHash(committed)
		if err != nil {
			t.Fatalf("block %s logged as imported is lost: %v", committed, err)
		}
		if head.TotalWork.Cmp(info.TotalWork) < 0 {
			t.Fatalf("head %d has less work than block %d logged as imported", head.Header.Height, info.Header.Height)
		}
	}
	if err := c.Verify(); err != nil {
		t.Fatalf("after SIGKILL at height %d: %v", head.Header.Height, err)
	}
	replay, err := blockchain.Open(blockchain.Config{Dir: t.TempDir(), Genesis: g})
	if err != nil {
		t.Fatal(err)
	}
	defer replay.Close()
	for h := uint64(1); h <= head.Header.Height; h++ {
		hash, _ := c.HashAt(h)
		b, err := c.Block(hash)
		if err != nil {
			t.Fatalf("main-chain block %d: %v", h, err)
		}
		if err := replay.ProcessBlock(b); err != nil {
			t.Fatalf("replay of block %d: %v", h, err)
		}
	}
	if r := replay.Head(); r.Hash != head.Hash || r.Header.StateRoot != head.Header.StateRoot {
		t.Fatalf("replay ends at %d %s, the stored head is %d %s", r.Header.Height, r.Hash, head.Header.Height, head.Hash)
	}
	return head
}

// sendTxs posts transfers from dev keys 0-7 until ctx ends (errors are
// expected: the node may be dying).
func sendTxs(ctx context.Context, url string, chainID uint64) {
	cl := node.NewClient(url)
	for i := 0; ctx.Err() == nil; i++ {
		k := i % 8
		acct, err := cl.Account(ctx, wallet.DevAddress(k))
		if err != nil {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		tx := &proto.Tx{ChainID: chainID, Nonce: acct.PendingNonce, Kind: proto.KindTransfer,
			To: common.BigToAddress(big.NewInt(int64(1000 + i%50))), Value: 1, GasLimit: chain.TxGas, GasPrice: 1}
		tx.Sig, _ = wallet.Sign(tx.SigHash(), wallet.DevKey(k))
		cl.SendTx(ctx, tx)
	}
}

// calibrate runs a node on a fresh dir from mkdir until it logs the block
// final (zero: any block) as imported, and returns how long that took from
// its start: the window the kills are spread over.
func calibrate(t *testing.T, gpath string, mkdir func() string, final common.Hash, args ...string) time.Duration {
	t.Helper()
	p := startProc(t, mkdir(), gpath, args...)
	p.waitStarted(t)
	start := time.Now()
	for {
		if h := p.last.Load(); h != nil && (final == common.Hash{} || common.HexToHash(*h) == final) {
			break
		}
		if time.Since(start) > 2*time.Minute {
			t.Fatalf("node did not reach %s: %v", final, p.tail())
		}
		time.Sleep(time.Millisecond)
	}
	d := time.Since(start)
	p.kill(t)
	return d
}

func randomDelay(r *rand.Rand, min, max time.Duration) time.Duration {
	return min + time.Duration(r.Int64N(int64(max-min)+1))
}

func TestCrashWhileMining(t *testing.T) {
	g, gpath := crashGenesis(t)
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 2))
	var height uint64
	for round := 0; round < crashRounds(); round++ {
		p := startProc(t, dir, gpath, "--mine", "--mine-threads", "1", "--miner", wallet.DevAddress(9).Hex())
		url := p.waitStarted(t)
		ctx, cancel := context.WithCancel(context.Background())
		go sendTxs(ctx, url, g.ChainID)
		time.Sleep(randomDelay(r, 300*time.Millisecond, 1500*time.Millisecond))
		committed := p.kill(t)
		cancel()
		head := checkCrashed(t, g, dir, committed)
		t.Logf("round %d: killed at height %d", round, head.Header.Height)
		height = head.Header.Height
	}
	if height == 0 {
		t.Fatal("the node never mined a block: the kills tested nothing")
	}
}

// buildChain extends c by n blocks of perBlock transfers each, spaced by the
// block interval, mined by coinbase.
func buildChain(t *testing.T, c *blockchain.Chain, g *chain.Genesis, n, perBlock int, coinbase common.Address) {
	t.Helper()
	for i := 0; i < n; i++ {
		tpl, err := c.NewTemplate()
		if err != nil {
			t.Fatal(err)
		}
		var txs []*proto.Tx
		for k := 0; k < perBlock; k++ {
			from := (i + k) % wallet.DevKeys
			acct, err := tpl.State.Account(wallet.DevAddress(from))
			if err != nil {
				t.Fatal(err)
			}
			tx := &proto.Tx{ChainID: g.ChainID, Nonce: acct.Nonce, Kind: proto.KindTransfer,
				To: common.BigToAddress(big.NewInt(int64(2000 + i%37))), Value: uint64(1 + k), GasLimit: chain.TxGas, GasPrice: 1}
			tx.Sig, _ = wallet.Sign(tx.SigHash(), wallet.DevKey(from))
			txs = append(txs, tx)
		}
		b, _, err := miner.Assemble(tpl, g, coinbase, tpl.Parent.Timestamp+uint64(g.BlockIntervalMs), txs)
		tpl.Release()
		if err != nil {
			t.Fatal(err)
		}
		var hashes atomic.Uint64
		miner.Solve(context.Background(), &b.Header, 1, &hashes)
		if err := c.ProcessBlock(b); err != nil {
			t.Fatal(err)
		}
	}
}

// prebuilt returns a data dir holding a chain of n blocks; with base, the
// chain first takes base's first fork blocks, then mines its own.
func prebuilt(t *testing.T, g *chain.Genesis, base string, fork, n, perBlock int, miner common.Address) string {
	t.Helper()
	dir := t.TempDir()
	c, err := blockchain.Open(blockchain.Config{Dir: filepath.Join(dir, "chaindata"), Genesis: g})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if base != "" {
		bc, err := blockchain.Open(blockchain.Config{Dir: filepath.Join(base, "chaindata"), Genesis: g})
		if err != nil {
			t.Fatal(err)
		}
		for h := 1; h <= fork; h++ {
			hash, _ := bc.HashAt(uint64(h))
			b, _ := bc.Block(hash)
			if err := c.ProcessBlock(b); err != nil {
				t.Fatal(err)
			}
		}
		bc.Close()
	}
	buildChain(t, c, g, n, perBlock, miner)
	return dir
}

// serve runs an in-process node (p2p on 127.0.0.1) on dir and returns its
// bootstrap address.
func serve(t *testing.T, g *chain.Genesis, dir string) string {
	t.Helper()
	n, err := node.New(node.Config{DataDir: dir, Genesis: g, HTTPAddr: "127.0.0.1:0",
		P2P: &gossip.Config{Listen: []string{"/ip4/127.0.0.1/tcp/0"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n.Net.ListenAddrs()[0]
}

// mainHashes lists the main chain of a (closed) data dir by height.
func mainHashes(t *testing.T, g *chain.Genesis, dir string) []common.Hash {
	t.Helper()
	c, err := blockchain.Open(blockchain.Config{Dir: filepath.Join(dir, "chaindata"), Genesis: g})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var out []common.Hash
	for h := uint64(0); ; h++ {
		hash, err := c.HashAt(h)
		if err != nil {
			return out
		}
		out = append(out, hash)
	}
}

// rawHead reads the head a data dir holds, as the kill left it.
func rawHead(t *testing.T, dir string) common.Hash {
	t.Helper()
	db, err := leveldb.OpenFile(filepath.Join(dir, "chaindata"), &opt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	h, err := db.Get([]byte("head"), nil)
	if err != nil {
		t.Fatal(err)
	}
	return common.BytesToHash(h)
}

// headOf is the head of the chain in a (closed) data dir.
func headOf(t *testing.T, g *chain.Genesis, dir string) common.Hash {
	t.Helper()
	c, err := blockchain.Open(blockchain.Config{Dir: filepath.Join(dir, "chaindata"), Genesis: g})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.Head().Hash
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.Walk(from, func(path string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		dst := filepath.Join(to, rel)
		if fi.IsDir() {
			return os.MkdirAll(dst, 0o700)
		}
		in, err := os.Open(path)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.Create(dst)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A node syncing 400 blocks from a peer is killed at random moments; each
// round starts from an empty data dir so that each kill falls in a sync.
func TestCrashWhileSyncing(t *testing.T) {
	g, gpath := crashGenesis(t)
	src := prebuilt(t, g, "", 0, 400, 4, wallet.DevAddress(9))
	srcHead := headOf(t, g, src)
	boot := serve(t, g, src)
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 3))
	window := calibrate(t, gpath, func() string { return t.TempDir() }, srcHead, "--bootstrap", boot)
	t.Logf("a full sync takes %v: the kills fall within it", window)
	mid := 0
	for round := 0; round < crashRounds(); round++ {
		dir := t.TempDir()
		p := startProc(t, dir, gpath, "--bootstrap", boot)
		p.waitStarted(t)
		time.Sleep(randomDelay(r, 0, window))
		committed := p.kill(t)
		head := checkCrashed(t, g, dir, committed)
		if h := head.Header.Height; h > 0 && h < 400 {
			mid++
		}
		t.Logf("round %d: killed at height %d of 400", round, head.Header.Height)
	}
	if mid == 0 {
		t.Fatal("no kill fell in the middle of a sync: the test tested nothing")
	}
}

// A node on a 300-block chain meets a peer whose fork from height 10 is
// heavier (320 blocks), and is killed at random moments of the sync and
// the reorganisation of 290 blocks that follows. Each round starts from a
// copy of the lighter chain.
func TestCrashWhileReorganising(t *testing.T) {
	g, gpath := crashGenesis(t)
	light := prebuilt(t, g, "", 0, 300, 10, wallet.DevAddress(8))
	heavy := prebuilt(t, g, light, 10, 310, 2, wallet.DevAddress(9))
	lightHead := headOf(t, g, light)
	lightHashes, heavyHashes := mainHashes(t, g, light), mainHashes(t, g, heavy)
	boot := serve(t, g, heavy)
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 4))
	fresh := func() string {
		dir := filepath.Join(t.TempDir(), "node")
		copyDir(t, light, dir)
		return dir
	}
	// The first block logged comes after the reorganisation (with the head
	// event of the whole switch): the kills are spread over the time to it.
	window := calibrate(t, gpath, fresh, common.Hash{}, "--bootstrap", boot)
	t.Logf("the sync and reorganisation take %v to the first new head", window)
	// The reorganisation is the last part of that time (the headers and
	// bodies come first), and how long each part takes varies with the
	// machine's load: the kills close in on it, a kill before it moving
	// the earliest next kill up to its own moment and one after it the
	// latest down, with a few extra rounds while none has hit it.
	moved, mid := 0, 0
	lo, hi := time.Duration(0), window*3/2
	for round := 0; round < crashRounds() || (mid == 0 && round < 3*crashRounds()); round++ {
		d := randomDelay(r, lo, hi)
		dir := fresh()
		p := startProc(t, dir, gpath, "--bootstrap", boot)
		p.waitStarted(t)
		time.Sleep(d)
		committed := p.kill(t)
		// Where the kill left the stored head, before a reopen's fork
		// choice finishes an interrupted reorganisation.
		raw := rawHead(t, dir)
		var where string
		switch {
		case raw == lightHead:
			where = "before the reorganisation"
			lo = d
		case slices.Contains(lightHashes, raw):
			where = "mid-reorganisation (disconnecting)"
			mid++
		case slices.Index(heavyHashes, raw) >= 0 && slices.Index(heavyHashes, raw) <= 300:
			where = "mid-reorganisation (connecting)"
			mid++
		default:
			where = "after the reorganisation"
			hi = d
		}
		head := checkCrashed(t, g, dir, committed)
		if head.Hash != lightHead {
			moved++
		}
		t.Logf("round %d: killed %v after start, %s; reopened at height %d", round, d.Round(time.Millisecond/10), where, head.Header.Height)
	}
	t.Logf("%d kills in the middle of the reorganisation", mid)
	if moved == 0 || mid == 0 {
		t.Fatal("no kill fell in the reorganisation: the test tested nothing")
	}
}
