package blockchain

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/proto"
)

// Lifecycle errors of the Importer (and of the node's other long-running
// parts, which use the same contract).
var (
	// ErrStarted: Start was called a second time.
	ErrStarted = errors.New("already started")
	// ErrStopped: the part was stopped (or Start came after Stop); a
	// block handed to a stopped importer was not processed.
	ErrStopped         = errors.New("stopped")
	errImporterStopped = fmt.Errorf("block importer: %w", ErrStopped)
	// ErrQueueFull: TrySubmit found the import queue full; the block was
	// not queued.
	ErrQueueFull = errors.New("block import queue full")
)

// ImporterConfig bounds an Importer. The zero value is the defaults.
type ImporterConfig struct {
	// Queue is how many blocks may wait for the importer (default 64).
	Queue int
	// RetryEvery is how often blocks held for their timestamp are
	// retried (default 1 s).
	RetryEvery time.Duration
	// ListenerQueue is how many head events a listener may lag behind
	// before the newer ones are merged into its last (default 64).
	ListenerQueue int
}

// Importer is the one goroutine that admits blocks to the chain in a node,
// as btcd's netsync blockHandler is: gossip, sync and the miner hand it
// their blocks (Submit, TrySubmit, ProcessBlock) and wait for its verdict;
// it alone calls ProcessBlockFrom and RetryFutureBlocks, one block at a
// time, in the order they came. Head listeners subscribed through it
// (Subscribe) run off its path, each on a goroutine of its own behind a
// bounded queue, so a slow listener never delays an import.
//
// Lifecycle: NewImporter starts nothing; Start runs the import loop and
// the listeners once (a second Start is ErrStarted, one after Stop
// ErrStopped); Stop ends them and returns when they have ended, and may be
// called any number of times, before or after Start. A block waiting in
// the queue or submitted after Stop gets ErrStopped.
type Importer struct {
	c     *Chain
	cfg   ImporterConfig
	queue chan *importJob
	stop  chan struct{} // closed by Stop

	mu        sync.Mutex // guards started, stopped, listeners; no wg.Add after Stop's Wait
	started   bool
	stopped   bool
	listeners []*listener
	wg        sync.WaitGroup
}

type importJob struct {
	b    *proto.Block
	o    BlockOrigin
	done chan error // buffered: the importer never waits for the submitter
}

// NewImporter returns a stopped importer of blocks into c. It subscribes
// to c's head events (to hand them to its listeners) and starts nothing.
func NewImporter(c *Chain, cfg ImporterConfig) *Importer {
	if cfg.Queue <= 0 {
		cfg.Queue = 64
	}
	if cfg.RetryEvery <= 0 {
		cfg.RetryEvery = time.Second
	}
	if cfg.ListenerQueue <= 0 {
		cfg.ListenerQueue = 64
	}
	imp := &Importer{c: c, cfg: cfg, queue: make(chan *importJob, cfg.Queue), stop: make(chan struct{})}
	c.Subscribe(imp.fanOut)
	return imp
}

// Start runs the import loop and the listeners' goroutines.
func (imp *Importer) Start() error {
	imp.mu.Lock()
	defer imp.mu.Unlock()
	switch {
	case imp.stopped:
		return errImporterStopped
	case imp.started:
		return fmt.Errorf("block importer: %w", ErrStarted)
	}
	imp.started = true
	imp.wg.Go(imp.loop)
	for _, l := range imp.listeners {
		imp.wg.Go(func() { l.run(imp.stop) })
	}
	return nil
}

// Stop ends the import loop and the listeners and waits for them. Events
// not yet delivered to a listener are dropped. Safe to call twice, and
// before Start.
func (imp *Importer) Stop() {
	imp.mu.Lock()
	if !imp.stopped {
		imp.stopped = true
		close(imp.stop)
	}
	imp.mu.Unlock()
	imp.wg.Wait()
}

// loop is the importer's goroutine: the only caller of ProcessBlockFrom
// and RetryFutureBlocks in a running node.
func (imp *Importer) loop() {
	t := time.NewTicker(imp.cfg.RetryEvery)
	defer t.Stop()
	for {
		select {
		case <-imp.stop:
			return
		default:
		}
		select {
		case <-imp.stop:
			return
		case j := <-imp.queue:
			j.done <- imp.c.ProcessBlockFrom(j.b, j.o)
		case <-t.C:
			imp.c.RetryFutureBlocks()
		}
	}
}

// Submit queues b, waiting for room if the queue is full, and returns the
// chain's verdict (ProcessBlockFrom's error). It returns ctx's error if
// ctx ends first (b may still be processed), ErrStopped if the importer
// stops first. For callers that may wait: a sync, the miner.
func (imp *Importer) Submit(ctx context.Context, b *proto.Block, o BlockOrigin) error {
	j := &importJob{b: b, o: o, done: make(chan error, 1)}
	select {
	case imp.queue <- j:
	case <-ctx.Done():
		return ctx.Err()
	case <-imp.stop:
		return errImporterStopped
	}
	return imp.wait(ctx, j)
}

// TrySubmit is Submit for callers that must not wait for room (GossipSub
// validators): a full queue is ErrQueueFull at once. Waiting for the
// verdict is bounded by ctx.
func (imp *Importer) TrySubmit(ctx context.Context, b *proto.Block, o BlockOrigin) error {
	j := &importJob{b: b, o: o, done: make(chan error, 1)}
	select {
	case <-imp.stop:
		return errImporterStopped
	default:
	}
	select {
	case imp.queue <- j:
	default:
		return ErrQueueFull
	}
	return imp.wait(ctx, j)
}

func (imp *Importer) wait(ctx context.Context, j *importJob) error {
	select {
	case err := <-j.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-imp.stop:
		// The loop may have answered just before it stopped.
		select {
		case err := <-j.done:
			return err
		default:
			return errImporterStopped
		}
	}
}

// ProcessBlock submits a block of our own (mined here) and waits for the
// verdict, until the importer stops. It makes the Importer a miner.Chain's
// way in.
func (imp *Importer) ProcessBlock(b *proto.Block) error {
	return imp.Submit(context.Background(), b, BlockOrigin{})
}

// Pending returns how many blocks wait in the queue, for tests and metrics.
func (imp *Importer) Pending() int { return len(imp.queue) }

// Precheck runs the checks of ProcessBlockFrom that need no more than a
// read of the block index: a known block (ErrDuplicate, or the error of a
// block known invalid), CheckHeader (size, version, target, PoW), an
// unknown parent (chain.ErrOrphan: nothing is stored, the importer would
// keep the header), a parent known invalid, the anti-DoS work threshold
// and the hold horizon. A GossipSub validator runs it before it spends
// anything on the body (sender recovery) or takes a place in the import
// queue. nil means the block is worth handing to the importer.
func (c *Chain) Precheck(b *proto.Block, o BlockOrigin) error {
	parent, err := c.precheck(b, o)
	if err == nil && parent == nil {
		return fmt.Errorf("%w: block %s, parent %s unknown", chain.ErrOrphan, b.Hash(), b.Header.PrevHash)
	}
	return err
}
