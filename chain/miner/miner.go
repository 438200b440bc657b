package miner

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/chain/blockchain"
	"github.com/tinychain/tinychain/proto"
)

// Chain is what the miner needs of the chain: a template to build on, the
// rules' parameters and clock, a way to hand its blocks in, and the head
// events that restart its search. *blockchain.Chain implements it; in a
// node, a view of it whose ProcessBlock and Subscribe go through the
// blockchain.Importer (the miner's block waits its turn with the others,
// and its restart runs off the importer's goroutine).
type Chain interface {
	Genesis() *chain.Genesis
	Now() time.Time
	NewTemplate() (*blockchain.Template, error)
	ProcessBlock(b *proto.Block) error
	// StorageErr is the write failure that stopped the chain, if any: a
	// block found then could not be stored.
	StorageErr() error
	Subscribe(f func(*blockchain.HeadEvent))
}

// Pool is where the miner takes its txs from: runnable txs in the order
// to include them. *mempool.Mempool implements it.
type Pool interface {
	Pending() []*proto.Tx
}

// Config configures a Miner.
type Config struct {
	Address common.Address // takes the reward and fees
	Threads int            // default: all cores
	Logger  *slog.Logger
	// Refresh is how often the block is rebuilt with a new timestamp and
	// the mempool's latest txs (default 1 s).
	Refresh time.Duration
	// Paused, when set and true, keeps the miner idle (e.g. while syncing).
	Paused func() bool
}

// Miner builds blocks from the pool on the head and searches their nonce
// on all threads; a new head restarts the search at once.
//
// Lifecycle: New starts nothing; Start starts it once (a later call, or
// one after Stop, is an error); Stop stops it and returns when every goroutine it started has
// ended; Stop may be called any number of times, before or after Start,
// from any goroutine.
type Miner struct {
	c    Chain
	pool Pool
	cfg  Config
	log  *slog.Logger

	wake chan struct{}
	stop chan struct{} // closed by Stop

	mu      sync.Mutex // guards started and stopped, so no wg.Add follows Stop's Wait
	started bool
	stopped bool
	wg      sync.WaitGroup // loop, measure and each search's watcher

	hashes  atomic.Uint64
	rate    atomic.Uint64 // hashes per second, as float64 bits
	running atomic.Bool
}

// New returns a stopped miner over c that takes its txs from pool.
func New(c Chain, pool Pool, cfg Config) *Miner {
	if cfg.Threads <= 0 {
		cfg.Threads = runtime.NumCPU()
	}
	if cfg.Refresh <= 0 {
		cfg.Refresh = time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	m := &Miner{c: c, pool: pool, cfg: cfg, log: cfg.Logger,
		wake: make(chan struct{}, 1), stop: make(chan struct{})}
	c.Subscribe(func(*blockchain.HeadEvent) { m.poke() })
	return m
}

func (m *Miner) poke() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// Start starts mining in the background, once: a second call is
// blockchain.ErrStarted, one after Stop blockchain.ErrStopped.
func (m *Miner) Start() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case m.stopped:
		return fmt.Errorf("miner: %w", blockchain.ErrStopped)
	case m.started:
		return fmt.Errorf("miner: %w", blockchain.ErrStarted)
	}
	m.started = true
	m.running.Store(true)
	m.wg.Go(m.loop)
	m.wg.Go(m.measure)
	return nil
}

// Stop stops mining and waits for the miner's goroutines to end. Safe to
// call twice, and before Start.
func (m *Miner) Stop() {
	m.mu.Lock()
	if !m.stopped {
		m.stopped = true
		close(m.stop)
	}
	m.mu.Unlock()
	m.wg.Wait()
}

// Running reports whether the miner is mining: started, not stopped, and
// not halted by a storage failure.
func (m *Miner) Running() bool { return m.running.Load() }

// Hashrate returns the hashes per second over the last few seconds.
func (m *Miner) Hashrate() float64 { return float64frombits(m.rate.Load()) }

// Threads returns the number of mining threads.
func (m *Miner) Threads() int { return m.cfg.Threads }

func (m *Miner) loop() {
	defer m.running.Store(false)
	for {
		select {
		case <-m.stop:
			return
		default:
		}
		if err := m.c.StorageErr(); err != nil {
			// A block found now could not be stored: stop hashing.
			m.log.Error("miner stopped: the chain cannot store blocks", "err", err)
			m.running.Store(false)
			<-m.stop
			return
		}
		if m.cfg.Paused != nil && m.cfg.Paused() {
			select {
			case <-m.stop:
				return
			case <-m.wake:
			case <-time.After(m.cfg.Refresh):
			}
			continue
		}
		b, err := m.build()
		if err != nil {
			m.log.Error("miner: cannot build a block", "err", err)
			select {
			case <-m.stop:
				return
			case <-time.After(m.cfg.Refresh):
			}
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), m.cfg.Refresh)
		m.wg.Go(func() {
			select {
			case <-m.stop:
			case <-m.wake:
			case <-ctx.Done():
			}
			cancel()
		})
		found := Solve(ctx, &b.Header, m.cfg.Threads, &m.hashes)
		cancel()
		if !found {
			continue
		}
		start := time.Now()
		if err := m.c.ProcessBlock(b); err != nil && !errors.Is(err, chain.ErrDuplicate) {
			m.log.Error("miner: own block rejected", "block", b.Hash(), "err", err)
			continue
		}
		m.log.Info("mined block", "height", b.Header.Height, "hash", b.Hash(), "txs", len(b.Txs),
			"took", time.Since(start).Round(time.Millisecond))
	}
}

// build assembles a block on the current head.
func (m *Miner) build() (*proto.Block, error) {
	tpl, err := m.c.NewTemplate()
	if err != nil {
		return nil, err
	}
	defer tpl.Release()
	b, _, err := Assemble(tpl, m.c.Genesis(), m.cfg.Address, uint64(m.c.Now().UnixMilli()), m.pool.Pending())
	return b, err
}

// measure updates the hashrate every second (exponentially smoothed).
func (m *Miner) measure() {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	last, lastT := m.hashes.Load(), time.Now()
	var rate float64
	for {
		select {
		case <-m.stop:
			m.rate.Store(0)
			return
		case now := <-t.C:
			h := m.hashes.Load()
			r := float64(h-last) / now.Sub(lastT).Seconds()
			if rate == 0 {
				rate = r
			} else {
				rate = 0.7*rate + 0.3*r
			}
			m.rate.Store(float64bits(rate))
			last, lastT = h, now
		}
	}
}

// nonceBase makes every nonce a miner tries 8 bytes long in the encoding,
// so the nonce sits at a fixed offset: the last 8 bytes of the header.
const nonceBase = 1 << 56

// Solve searches h.Nonce on threads goroutines until the header's hash is
// under its target or ctx ends; it reports whether it found one (then h
// holds it). Hashes tried are added to *counter.
func Solve(ctx context.Context, h *proto.Header, threads int, counter *atomic.Uint64) bool {
	h.Nonce = nonceBase
	tmpl := h.Encode()
	if len(tmpl) < 9 || tmpl[len(tmpl)-9] != 0x80+8 {
		panic(fmt.Sprintf("miner: header nonce not at a fixed offset (%x)", tmpl[len(tmpl)-9:]))
	}
	target := h.Target
	var (
		found atomic.Bool
		win   atomic.Uint64
		wg    sync.WaitGroup
	)
	start := rand.Uint64() >> 9 // leaves room above nonceBase
	for t := 0; t < threads; t++ {
		wg.Add(1)
		go func(t int) {
			defer wg.Done()
			buf := bytes.Clone(tmpl)
			at := len(buf) - 8
			for n := start + uint64(t); ; {
				for i := 0; i < 4096; i++ {
					binary.BigEndian.PutUint64(buf[at:], nonceBase|n)
					sum := sha256.Sum256(buf)
					if bytes.Compare(sum[:], target[:]) <= 0 {
						if found.CompareAndSwap(false, true) {
							win.Store(nonceBase | n)
						}
						counter.Add(uint64(i + 1))
						return
					}
					n += uint64(threads)
				}
				counter.Add(4096)
				if found.Load() || ctx.Err() != nil {
					return
				}
			}
		}(t)
	}
	wg.Wait()
	if !found.Load() {
		return false
	}
	h.Nonce = win.Load()
	return true
}

func float64bits(f float64) uint64     { return math.Float64bits(f) }
func float64frombits(u uint64) float64 { return math.Float64frombits(u) }
