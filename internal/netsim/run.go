package netsim

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/tinychain/tinychain/chain"
)

// Config is one run.
type Config struct {
	Nodes, Miners int
	Peers         int // bootstrap peers per node (random earlier nodes)
	Latency       time.Duration
	Jitter        time.Duration
	Loss          float64 // 0..1, each packet
	Bandwidth     string  // tbf rate of each node's egress ("10mbit"), "" none
	BlockInterval time.Duration
	Duration      time.Duration // measured time, settle included
	Settle        time.Duration // at the end: no load, no faults; the convergence bound
	Chaos         bool
	Faults        []string // chaos schedule
	TxRate        float64  // txs per second in all
	Senders       int      // dev keys 1..Senders send
	MinerCPU      float64  // cores per miner (a cgroup CPU quota)
	MaxRSSMB      float64  // a node above it breaks an invariant
	Seed          uint64
	Bin           string // the tinychain binary
	Keep          bool   // keep the data dirs and logs
	Log           io.Writer
}

// run is the state of one run.
type run struct {
	cfg     *Config
	dir     string
	genesis string
	t0      time.Time
	nodes   []*Node
	router  *Router
	obs     *Observer
	metrics *scraper
	sentAt0 []int64 // each node's bytes sent when measuring began
	mu      sync.Mutex
}

func (r *run) since() float64 { return time.Since(r.t0).Seconds() }

func (r *run) logf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintf(r.cfg.Log, "netsim [%5.1fs] %s\n", r.since(), fmt.Sprintf(format, args...))
}

func minerAddr(i int) common.Address { return common.BigToAddress(big.NewInt(int64(0x5000 + i))) }

func (r *run) startNode(i int) error {
	return r.nodes[i].start(r.cfg.Bin, r.genesis, minerAddr(i), r.cfg.MinerCPU)
}

// Run builds the network, runs it for cfg.Duration and reports. Whatever
// happens, it removes what it made (unless cfg.Keep, the data dirs stay).
func Run(ctx context.Context, cfg Config) (rep *Report, err error) {
	if err := Lock(); err != nil {
		return nil, err
	}
	Cleanup() // what a crashed run left
	RemoveCrashedDirs()
	r := &run{cfg: &cfg, t0: time.Now(), obs: newObserver(cfg.Nodes)}
	if r.dir, err = os.MkdirTemp("", Prefix+"-"); err != nil {
		return nil, err
	}
	var files []*os.File
	defer func() {
		for _, n := range r.nodes {
			n.kill()
		}
		for _, f := range files {
			f.Close()
		}
		if r.router != nil {
			r.router.Close()
		}
		Cleanup()
		if cfg.Keep || (rep != nil && !rep.OK) {
			_ = os.WriteFile(filepath.Join(r.dir, keptMark), nil, 0o600)
			r.logf("data dirs and logs kept in %s", r.dir)
		} else {
			os.RemoveAll(r.dir)
		}
	}()
	if err := r.writeGenesis(); err != nil {
		return nil, err
	}
	if files, err = r.makeNodes(); err != nil {
		return nil, err
	}
	ports := make([]io.ReadWriter, len(files))
	addrs := make([][4]byte, len(files))
	for i, f := range files {
		ports[i], addrs[i] = f, nodeAddr(i)
	}
	r.router = NewRouter(ports, addrs, Link{cfg.Latency, cfg.Jitter, cfg.Loss}, cfg.Seed)
	go r.router.Run()

	obsCtx, stopObs := context.WithCancel(ctx)
	defer stopObs()
	for i, n := range r.nodes {
		if err := r.startNode(i); err != nil {
			return nil, fmt.Errorf("start node %d: %w", i, err)
		}
		go r.obs.follow(obsCtx, n)
	}
	r.logf("%d nodes started (%d mining), waiting for the chain to grow", cfg.Nodes, cfg.Miners)
	startHeight, err := r.warmUp(ctx)
	if err != nil {
		return nil, err
	}
	return r.measure(ctx, startHeight)
}

// keptMark marks a data dir kept on purpose (--keep, or a failed run).
const keptMark = "KEPT"

// RemoveCrashedDirs removes the data dirs of runs that died before they
// could remove them (those without keptMark).
func RemoveCrashedDirs() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), Prefix+"-*"))
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, keptMark)); os.IsNotExist(err) {
			os.RemoveAll(d)
		}
	}
}

// writeGenesis writes a devnet-like genesis whose block interval is
// cfg.BlockInterval and whose target suits the miners' CPU quota.
func (r *run) writeGenesis() error {
	g := chain.Devnet()
	g.ChainID = 7770
	g.Timestamp = uint64(time.Now().UnixMilli())
	g.BlockIntervalMs = r.cfg.BlockInterval.Milliseconds()
	// About 2.5 M hashes/s per core of quota (5.5 M/s idle, less on a
	// busy machine); ASERT corrects the rest.
	hashes := 2.5e6 * r.cfg.MinerCPU * float64(r.cfg.Miners) * r.cfg.BlockInterval.Seconds()
	t := new(big.Int).Lsh(big.NewInt(1), 256)
	t.Div(t, big.NewInt(int64(max(2, hashes))))
	g.Target = (*hexutil.Big)(t)
	b, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		return err
	}
	r.genesis = filepath.Join(r.dir, "genesis.json")
	return os.WriteFile(r.genesis, b, 0o600)
}

// makeNodes prepares every node (data dir, key, bootstrap peers, whether
// it mines) and its namespace, and returns the router's ends.
func (r *run) makeNodes() ([]*os.File, error) {
	cfg := r.cfg
	rng := rand.New(rand.NewPCG(cfg.Seed, 1))
	every := max(1, cfg.Nodes/max(1, cfg.Miners))
	var files []*os.File
	for i := 0; i < cfg.Nodes; i++ {
		n, err := newNode(i, r.dir, i%every == 0 && i/every < cfg.Miners)
		if err != nil {
			return files, err
		}
		for _, j := range rng.Perm(max(i, 1))[:min(i, cfg.Peers)] {
			n.Bootstrap = append(n.Bootstrap, r.nodes[j].Multiaddr())
		}
		r.nodes = append(r.nodes, n)
		f, err := makeNamespace(i, cfg.Bandwidth)
		if err != nil {
			return files, err
		}
		files = append(files, f)
	}
	return files, nil
}

// warmUp waits until every node answers and the chain is 3 blocks high on
// all of them, and returns the height from which blocks are measured.
func (r *run) warmUp(ctx context.Context) (uint64, error) {
	deadline := time.Now().Add(90*time.Second + 10*r.cfg.BlockInterval + time.Duration(r.cfg.Nodes)*time.Second)
	for time.Now().Before(deadline) {
		if !sleep(ctx, time.Second) {
			return 0, ctx.Err()
		}
		low, high, ok := r.heights(ctx)
		if ok && low >= 3 {
			r.logf("all nodes at height %d..%d: measuring", low, high)
			r.t0 = time.Now()
			return high, nil
		}
		for _, n := range r.nodes {
			if c := n.Crashed(); c != "" {
				return 0, fmt.Errorf("node %d %s (log %s)", n.I, c, filepath.Join(n.Dir, "node.log"))
			}
		}
	}
	return 0, fmt.Errorf("the network did not start: not every node reached height 3")
}

// heights is the lowest and highest head height of the nodes (ok false
// when one does not answer).
func (r *run) heights(ctx context.Context) (low, high uint64, ok bool) {
	low = ^uint64(0)
	for _, n := range r.nodes {
		s, err := n.Client.Status(ctx)
		if err != nil {
			return 0, 0, false
		}
		low, high = min(low, s.Height), max(high, s.Height)
	}
	return low, high, true
}

// measure runs the load (and chaos) until cfg.Duration - cfg.Settle, lets
// the network settle, and reports.
func (r *run) measure(ctx context.Context, startHeight uint64) (*Report, error) {
	cfg := r.cfg
	for i := range r.nodes {
		r.sentAt0 = append(r.sentAt0, r.router.SentBytes[i].Load())
	}
	active := cfg.Duration - cfg.Settle
	loadCtx, stopLoad := context.WithTimeout(ctx, active)
	defer stopLoad()
	targets := []int{}
	for i := 0; i < min(3, cfg.Nodes); i++ {
		targets = append(targets, i) // never killed: a tx sent to them is theirs to keep
	}
	load := &txLoad{chainID: 7770, obs: r.obs, nodes: r.nodes, targets: targets, rate: cfg.TxRate}
	r.metrics = newScraper(r.nodes)
	scrapeCtx, stopScrape := context.WithCancel(ctx)
	defer stopScrape()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); load.run(loadCtx, cfg.Senders) }()
	go func() { defer wg.Done(); r.metrics.run(scrapeCtx, 5*time.Second) }()
	var ch *chaos
	lastFault := r.t0
	if cfg.Chaos {
		var killable []int
		for i := len(targets); i < cfg.Nodes; i++ {
			killable = append(killable, i)
		}
		ch = &chaos{r: r, kinds: cfg.Faults, killable: killable, rng: rand.New(rand.NewPCG(cfg.Seed, 2))}
		warm := active / 10
		ch.schedule(loadCtx, r.t0.Add(warm), active-warm)
		if n := len(ch.faults); n > 0 {
			lastFault = r.t0.Add(time.Duration(ch.faults[n-1].HealS * float64(time.Second)))
		}
	}
	<-loadCtx.Done()
	r.logf("load stopped; settling for %v", cfg.Settle)
	if !sleep(ctx, time.Until(r.t0.Add(cfg.Duration))) {
		return nil, ctx.Err()
	}
	stopScrape()
	wg.Wait()
	r.metrics.scrape(ctx)
	r.logf("measured; collecting the report")
	var faults []Fault
	if ch != nil {
		faults = ch.faults
	}
	return r.report(ctx, startHeight, lastFault, load, faults), nil
}
