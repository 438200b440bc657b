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
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/chain/blockchain"
	"github.com/tinychain/tinychain/chain/mempool"
	"github.com/tinychain/tinychain/chain/miner"
	"github.com/tinychain/tinychain/gossip"
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
	Logger  *slog.Logger
	Version string
}

// Node is a running tinychain node.
type Node struct {
	cfg   Config
	log   *slog.Logger
	Chain *blockchain.Chain
	Pool  *mempool.Mempool
	Miner *miner.Miner
	Net   *gossip.Network // nil without P2P

	http    *http.Server
	ln      net.Listener
	stop    chan struct{}
	evals   chan struct{} // semaphore: evals running
	events  *events
	metrics *metrics
	journal *txJournal // the local txs (journal.go)
	unlock  func()     // releases the data dir (datadir.go)
	wg      sync.WaitGroup
	closed  sync.Once
}

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
	n.Pool = mempool.New(c, mempool.Config{MaxTxs: cfg.Mempool.MaxTxs, MaxBytes: cfg.Mempool.MaxBytes, Logger: cfg.Logger})
	n.journal = newJournal(filepath.Join(cfg.DataDir, journalFile), cmp.Or(cfg.Mempool.MaxTxs, mempool.DefaultMaxTxs), cfg.Logger)
	if err := n.journal.replay(n.Pool); err != nil {
		c.Close()
		unlock()
		return nil, err
	}
	if cfg.P2P != nil {
		pc := *cfg.P2P
		pc.DataDir, pc.Chain, pc.Mempool, pc.Logger = cfg.DataDir, c, n.Pool, cfg.Logger
		pc.Metrics, pc.OnMessage = m.reg, m.onGossip
		if n.Net, err = gossip.New(pc); err != nil {
			n.journal.close(n.Pool)
			c.Close()
			unlock()
			return nil, err
		}
	}
	n.Miner = miner.New(c, n.Pool, miner.Config{Address: cfg.MinerAddr, Threads: cfg.MineThreads, Logger: cfg.Logger,
		// Mining on a stale head while catching up only makes orphans.
		// Syncing is true only while headers we checked show a heavier
		// chain and its blocks keep coming, never on a peer's claim.
		Paused: func() bool { return n.Net != nil && n.Net.Syncing() }})
	c.Subscribe(n.logHead)
	c.Subscribe(m.onHead)
	m.watch(n)
	n.events = newEvents(c, n.Pool)
	n.http = newHTTPServer(m.instrument(n.routes()), cfg.HTTP)
	return n, nil
}

// Start starts the HTTP API, the miner (if configured) and the timers.
func (n *Node) Start() error {
	ln, err := net.Listen("tcp", n.cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("http listen %s: %w", n.cfg.HTTPAddr, err)
	}
	ln = netutil.LimitListener(ln, n.cfg.HTTP.MaxConns)
	n.ln = ln
	n.wg.Add(3)
	go func() {
		defer n.wg.Done()
		n.journal.rotateLoop(n.Pool, n.stop)
	}()
	go func() {
		defer n.wg.Done()
		if err := n.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			n.log.Error("http server", "err", err)
		}
	}()
	go func() {
		defer n.wg.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-n.stop:
				return
			case <-t.C:
				n.Chain.RetryFutureBlocks()
			}
		}
	}()
	if n.Net != nil {
		if err := n.Net.Start(); err != nil {
			return err
		}
	}
	head := n.Chain.Head()
	n.log.Info("node started", "http", ln.Addr().String(), "chain_id", n.cfg.Genesis.ChainID,
		"height", head.Header.Height, "head", head.Hash)
	if n.cfg.Mine {
		n.Miner.Start()
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

// Close stops everything and closes the database. Safe to call twice.
func (n *Node) Close() error {
	var err error
	n.closed.Do(func() {
		close(n.stop)
		n.Miner.Stop()
		if n.Net != nil {
			n.Net.Close()
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if n.ln != nil {
			_ = n.http.Shutdown(ctx)
		}
		n.wg.Wait()
		n.journal.close(n.Pool) // after the API stopped: nothing appends any more
		err = n.Chain.Close()
		n.unlock()
	})
	return err
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
