package node

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/chain/blockchain"
	"github.com/tinychain/tinychain/chain/mempool"
	"github.com/tinychain/tinychain/chain/miner"
	"github.com/tinychain/tinychain/gossip"
	"github.com/tinychain/tinychain/proto"
	"golang.org/x/net/netutil"
)

// Config configures a Node.
type Config struct {
	DataDir     string         // holds chaindata/ and keystore/
	Genesis     *chain.Genesis // default: the devnet
	HTTPAddr    string         // default 127.0.0.1:8080; "" with NoHTTP unset means default
	Mine        bool
	MinerAddr   common.Address
	MineThreads int
	Mempool     mempool.Config
	// P2P, when set, starts the libp2p network (its Chain and Mempool are
	// filled in by New).
	P2P *gossip.Config
	// HTTP bounds the API's clients (limits.go); the zero value is the defaults.
	HTTP    HTTPLimits
	ZK      ZKConfig // proofs of runs: POST /v1/verify, and /v1/prove with ZK.Prover (zk.go)
	Logger  *slog.Logger
	Version string
}

// Node is a tinychain node: the chain, its importer, the mempool, the
// miner, the network and the HTTP API.
//
// Lifecycle: New opens the database and builds the parts, starting no
// goroutine of its own and listening nowhere; Start starts them once (a
// second Start, or one after Close, is an error); Close stops them and
// closes the database, waiting for every goroutine they started, and may
// be called any number of times, before or after Start. Which goroutine
// runs what, and the lock order: doc.go.
type Node struct {
	cfg      Config
	log      *slog.Logger
	Chain    *blockchain.Chain
	Importer *blockchain.Importer // the one way blocks go into Chain
	Pool     *mempool.Mempool
	Miner    *miner.Miner
	Net      *gossip.Network // nil without P2P

	http    *http.Server
	ln      net.Listener
	stop    chan struct{}
	evals   chan struct{} // semaphore: evals running
	events  *events
	metrics *metrics
	journal *txJournal // the local txs (journal.go)
	unlock  func()     // releases the data dir (datadir.go)
	wg      sync.WaitGroup

	life    sync.Mutex // held by all of Start and Close
	started bool
	closed  bool
	err     error // what the first Close returned
}

// imported is the chain as the mempool and the miner see it in a node:
// blocks go in through the importer, and head events come from it, each
// listener on a goroutine of its own behind a bounded queue.
type imported struct {
	*blockchain.Chain
	imp *blockchain.Importer
}

func (c imported) ProcessBlock(b *proto.Block) error          { return c.imp.ProcessBlock(b) }
func (c imported) Subscribe(f func(ev *blockchain.HeadEvent)) { c.imp.Subscribe(f) }

// New opens the node's database and builds its parts; Start runs them.
func New(cfg Config) (*Node, error) {
	if cfg.Genesis == nil {
		cfg.Genesis = chain.Devnet()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.HTTPAddr == "" {
		cfg.HTTPAddr = "127.0.0.1:8080"
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	unlock, err := lockDataDir(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	m := newMetrics()
	c, err := blockchain.Open(blockchain.Config{Dir: filepath.Join(cfg.DataDir, "chaindata"), Genesis: cfg.Genesis, Logger: cfg.Logger,
		Rejected: m.onRejected})
	if err != nil {
		unlock()
		return nil, err
	}
	cfg.HTTP = cfg.HTTP.withDefaults()
	n := &Node{cfg: cfg, log: cfg.Logger, Chain: c, metrics: m, stop: make(chan struct{}), evals: make(chan struct{}, cfg.HTTP.MaxEvals),
		unlock: unlock}
	n.Importer = blockchain.NewImporter(c, blockchain.ImporterConfig{})
	view := imported{c, n.Importer}
	n.Pool = mempool.New(view, mempool.Config{MaxTxs: cfg.Mempool.MaxTxs, MaxBytes: cfg.Mempool.MaxBytes, Logger: cfg.Logger})
	n.journal = newJournal(filepath.Join(cfg.DataDir, journalFile), cmp.Or(cfg.Mempool.MaxTxs, mempool.DefaultMaxTxs), cfg.Logger)
	if err := n.journal.replay(n.Pool); err != nil {
		c.Close()
		unlock()
		return nil, err
	}
	if cfg.P2P != nil {
		pc := *cfg.P2P
		pc.DataDir, pc.Chain, pc.Importer, pc.Mempool, pc.Logger = cfg.DataDir, c, n.Importer, n.Pool, cfg.Logger
		pc.Metrics, pc.OnMessage = m.reg, m.onGossip
		if n.Net, err = gossip.New(pc); err != nil {
			n.journal.close(n.Pool)
			c.Close()
			unlock()
			return nil, err
		}
	}
	n.Miner = miner.New(view, n.Pool, miner.Config{Address: cfg.MinerAddr, Threads: cfg.MineThreads, Logger: cfg.Logger,
		// Mining on a stale head while catching up only makes orphans.
		// Syncing is true only while headers we checked show a heavier
		// chain and its blocks keep coming, never on a peer's claim.
		Paused: func() bool { return n.Net != nil && n.Net.Syncing() }})
	n.Importer.Subscribe(n.logHead)
	n.Importer.Subscribe(m.onHead)
	m.watch(n)
	n.events = newEvents(c, n.Importer, n.Pool)
	n.http = newHTTPServer(m.instrument(n.routes()), cfg.HTTP)
	return n, nil
}

// Start starts the importer, the network, the HTTP API and the miner (if
// configured). Only once: a second call, or one after Close, is an error.
// If it fails, Close stops what it started.
func (n *Node) Start() error {
	n.life.Lock()
	defer n.life.Unlock()
	switch {
	case n.closed:
		return fmt.Errorf("node: start after close: %w", blockchain.ErrStopped)
	case n.started:
		return fmt.Errorf("node: %w", blockchain.ErrStarted)
	}
	n.started = true
	if err := n.Importer.Start(); err != nil {
		return err
	}
	if n.Net != nil {
		if err := n.Net.Start(); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", n.cfg.HTTPAddr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("http listen %s: the port is in use (another tinychain node on this machine? give this one --http ADDR)", n.cfg.HTTPAddr)
	}
	if err != nil {
		return fmt.Errorf("http listen %s: %w", n.cfg.HTTPAddr, err)
	}
	ln = netutil.LimitListener(ln, n.cfg.HTTP.MaxConns)
	n.ln = ln
	n.wg.Go(func() { n.journal.rotateLoop(n.Pool, n.stop) })
	n.wg.Go(func() {
		if err := n.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			n.log.Error("http server", "err", err)
		}
	})
	head := n.Chain.Head()
	n.log.Info("node started", "http", ln.Addr().String(), "chain_id", n.cfg.Genesis.ChainID,
		"height", head.Header.Height, "head", head.Hash)
	if n.cfg.Mine {
		if err := n.Miner.Start(); err != nil {
			return err
		}
		n.log.Info("mining", "miner", n.cfg.MinerAddr, "threads", n.Miner.Threads())
	}
	return nil
}

// HTTPAddr returns the address the API listens on (after Start).
func (n *Node) HTTPAddr() string {
	if n.ln == nil {
		return n.cfg.HTTPAddr
	}
	return n.ln.Addr().String()
}

// Close stops everything and closes the database, and returns when every
// goroutine the node's parts started has ended. Safe to call twice, and
// before Start. The order: the block sources first (the miner, whose last
// block the importer still answers; the network), then the HTTP API, then
// the importer and its listeners, then the database.
func (n *Node) Close() error {
	n.life.Lock()
	defer n.life.Unlock()
	if n.closed {
		return n.err
	}
	n.closed = true
	close(n.stop)
	n.Miner.Stop()
	if n.Net != nil {
		n.Net.Close()
	}
	if n.ln != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = n.http.Shutdown(ctx)
		cancel()
	}
	n.wg.Wait()
	n.journal.close(n.Pool) // after the API stopped: nothing appends any more
	n.Importer.Stop()
	n.err = n.Chain.Close()
	n.unlock()
	return n.err
}

// logHead logs one line per block connected to the main chain (the chain
// logs reorganisations), during a sync too: that is where an operator
// watching the log sees it move.
func (n *Node) logHead(ev *blockchain.HeadEvent) {
	for i, b := range ev.Connected {
		s := ev.Stats[i]
		n.log.Info("imported block", "height", b.Header.Height, "hash", b.Hash(),
			"txs", len(b.Txs), "gas", s.GasUsed, "took", s.Took.Round(time.Microsecond))
	}
}
