package blockchain

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/chain/smt"
	"github.com/tinychain/tinychain/chain/state"
	"github.com/tinychain/tinychain/chain/store"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/vm"
)

// Config configures a Chain.
type Config struct {
	Dir     string         // LevelDB directory
	Genesis *chain.Genesis // required
	Logger  *slog.Logger
	// Now is the clock the timestamp rule reads (default time.Now); tests
	// set it. It is read only at the edge, in ProcessBlock.
	Now func() time.Time
	// Rejected, if set, hears of each block found to break a rule (not of
	// orphans, duplicates or blocks from the future). It may run with the
	// chain lock held, so it must not call back into the chain.
	Rejected func(hash common.Hash, err error)
	// MaxOrphans and OrphanTTL bound the orphan pool of headers (defaults
	// 512, 5 min; orphans.go).
	MaxOrphans int
	OrphanTTL  time.Duration
}

// Chain is the block tree, the fork choice over it and the state of its
// head, all kept in one LevelDB. It is safe for concurrent use: one lock
// serialises block processing; readers of the state use LevelDB snapshots.
type Chain struct {
	g          *chain.Genesis
	db         *store.DB
	log        *slog.Logger
	now        func() time.Time
	onRejected func(common.Hash, error)
	genesis    *blockNode

	mu      sync.RWMutex
	index   map[common.Hash]*blockNode
	tips    *tipSet // nodes with no valid child: fork-choice candidates
	head    *blockNode
	main    []*blockNode // the main chain by height
	seq     uint64
	orphans *orphanPool
	future  *futureSet
	recent  *blockCache  // blocks processed lately, with their senders recovered
	progs   *vm.Cache    // compiled contract code, shared by every chain.State
	nodes   *smt.Cache   // the state tree's top nodes, for connect and disconnect only
	pre     *preExecuted // the block acceptLocked executed early, for connect
	// connBatch and sideBatch are connect's batches (the state's, and the
	// receipts' and indexes'), reset and refilled block after block so
	// that their buffers are allocated once, not per block.
	connBatch, sideBatch *store.Batch
	// gasPrices is the last RecentGasPrices answer, for its head (gasprice.go).
	gasPrices atomic.Pointer[gasMemo]
	// badReasons keeps why blocks failed their state transition (bounded).
	badReasons map[common.Hash]error

	notifyMu  sync.Mutex // held by the one goroutine delivering events
	listeners []func(*HeadEvent)
	evMu      sync.Mutex
	pending   []*HeadEvent // events not yet delivered, in order
	closeOnce sync.Once
	failed    atomic.Pointer[error] // the write failure that stopped the chain (storage.go)
	proofs    proofWindow           // head states kept for account proofs (proofs.go)
	lastSync  time.Time             // the last synced head write (storage.go); under mu
}

// HeadEvent tells listeners that the head moved: the blocks connected, in
// order, and those disconnected by a reorganisation, newest first.
type HeadEvent struct {
	Head      *proto.Block
	Connected []*proto.Block
	// Stats[i] is what connecting Connected[i] took, for logs and metrics.
	Stats        []ConnectStats
	Disconnected []*proto.Block
}

// ConnectStats describes the execution of one connected block.
type ConnectStats struct {
	GasUsed uint64        // the sum of its receipts' gas
	Took    time.Duration // validation, execution and commit
}

// The compiled-program cache's bounds: how many programs and how much
// memory (vm.Program.Footprint, about 70 bytes per command compiled) it
// keeps, least recently used out. A program is compiled (and cached) only
// for a run of at least vm.CompileRatio gas per code byte, so a block can
// make at most block_gas_limit / vm.CompileRatio bytes of code compile.
const (
	programCacheEntries = 1024
	programCacheBytes   = 128 << 20
)

// Open opens (or creates) the chain in cfg.Dir. A database made for another
// genesis is refused.
func Open(cfg Config) (*Chain, error) {
	if err := cfg.Genesis.Check(); err != nil {
		return nil, fmt.Errorf("genesis: %w", err)
	}
	db, err := store.Open(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("open chain database %s: %w", cfg.Dir, err)
	}
	c, err := open(db, cfg)
	if err != nil {
		db.Close()
		return nil, err
	}
	return c, nil
}

func open(db *store.DB, cfg Config) (*Chain, error) {
	c := &Chain{
		g: cfg.Genesis, db: db, log: cfg.Logger, now: cfg.Now, onRejected: cfg.Rejected,
		index:      make(map[common.Hash]*blockNode),
		tips:       newTipSet(),
		future:     newFutureSet(),
		recent:     newBlockCache(512),
		progs:      vm.NewCache(programCacheEntries, programCacheBytes),
		nodes:      smt.NewCache(smt.DefaultCacheSize),
		badReasons: make(map[common.Hash]error),
		connBatch:  new(store.Batch),
		sideBatch:  new(store.Batch),
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	if c.now == nil {
		c.now = time.Now
	}
	c.orphans = newOrphanPool(cfg.MaxOrphans, cfg.OrphanTTL)
	gen, err := GenesisBlock(c.g)
	if err != nil {
		return nil, err
	}
	stored, found, err := db.Get(keyGenesis)
	switch {
	case err != nil:
		return nil, err
	case !found:
		if err := c.writeGenesis(gen); err != nil {
			return nil, err
		}
	case common.BytesToHash(stored) != gen.Hash():
		return nil, fmt.Errorf("database belongs to genesis %x, not %s: use another --datadir", stored, gen.Hash())
	}
	if err := c.loadIndex(gen.Hash()); err != nil {
		return nil, err
	}
	c.proofs.remember(c.db, c.head.hash)
	// A crash during a reorganisation leaves a consistent head that may not
	// be the best chain; finish the job.
	c.mu.Lock()
	evs := c.updateBestChain()
	c.pruneTips()
	c.unlockAndNotify(evs)
	c.log.Info("chain opened", "genesis", gen.Hash(), "height", c.head.height(), "head", c.head.hash, "blocks", len(c.index))
	return c, nil
}

// GenesisBlock builds the genesis block of g: its allocations committed in
// the state root, no transactions.
func GenesisBlock(g *chain.Genesis) (*proto.Block, error) {
	st := state.New(state.EmptyDB{})
	for _, a := range g.SortedAlloc() {
		if err := chain.AddBalance(st, a, uint64(g.Alloc[a])); err != nil {
			return nil, err
		}
	}
	root, err := st.Root()
	if err != nil {
		return nil, err
	}
	return &proto.Block{Header: proto.Header{
		Version:      chain.HeaderVersion,
		Timestamp:    g.Timestamp,
		Target:       common.BigToHash(g.Target.ToInt()),
		TxRoot:       chain.MerkleRoot(nil),
		StateRoot:    root,
		ReceiptsRoot: chain.MerkleRoot(nil),
	}}, nil
}

func (c *Chain) writeGenesis(gen *proto.Block) error {
	st := state.New(c.db)
	for _, a := range c.g.SortedAlloc() {
		if err := chain.AddBalance(st, a, uint64(c.g.Alloc[a])); err != nil {
			return err
		}
	}
	batch := new(store.Batch)
	if _, _, err := st.Commit(batch); err != nil {
		return err
	}
	hash := gen.Hash()
	n := newNode(&gen.Header, hash, nil, 0)
	n.status = statusValid
	batch.Put(blockKey(hash), gen.Encode())
	putRLP(batch, indexKey(hash), n.record())
	batch.Put(heightKey(0), hash[:])
	batch.Put(keyHead, hash[:])
	batch.Put(keyGenesis, hash[:])
	return c.db.Write(batch, true)
}

// loadIndex reads the whole block index into memory and links it.
func (c *Chain) loadIndex(genesis common.Hash) error {
	it := c.db.Iterator([]byte{'i'}, nil)
	defer it.Release()
	var recs []*indexRecord
	for it.Next() {
		rec := new(indexRecord)
		if err := decodeStored(it.Value(), rec); err != nil {
			return fmt.Errorf("block index: %w", err)
		}
		recs = append(recs, rec)
	}
	if err := it.Error(); err != nil {
		return err
	}
	// Parents sort before children by height; link in that order.
	sortRecords(recs)
	for _, rec := range recs {
		hash := rec.Header.Hash()
		var parent *blockNode
		if rec.Header.Height > 0 {
			if parent = c.index[rec.Header.PrevHash]; parent == nil {
				// Only unsynced writes (side blocks) can lose their parent,
				// to a power loss: such a block is fetched again if needed.
				// The main chain's writes are synced (writeHead).
				c.log.Warn("block index: dropping a block whose parent was lost", "block", hash, "parent", rec.Header.PrevHash)
				continue
			}
		}
		n := newNode(&rec.Header, hash, parent, rec.Seq)
		n.status = nodeStatus(rec.Status)
		c.index[hash] = n
		if rec.Seq >= c.seq {
			c.seq = rec.Seq + 1
		}
		if parent != nil {
			c.tips.remove(parent)
		}
		if !n.status.invalid() {
			c.tips.add(n)
		}
	}
	c.genesis = c.index[genesis]
	if c.genesis == nil {
		return fmt.Errorf("block index lacks the genesis block")
	}
	headHash, found, err := c.db.Get(keyHead)
	if err == nil && !found {
		err = errors.New("not stored")
	}
	if err != nil {
		return fmt.Errorf("read head: %w", err)
	}
	c.head = c.index[common.BytesToHash(headHash)]
	if c.head == nil {
		return fmt.Errorf("head %x is not in the block index", headHash)
	}
	c.main = make([]*blockNode, c.head.height()+1)
	for n := c.head; n != nil; n = n.parent {
		c.main[n.height()] = n
	}
	// One read: the stored state tree's root node. A database written with
	// another storage layout, or damaged, stops here rather than take the
	// next valid block for one with a bad state root.
	if root, err := c.newState(c.db).Root(); err != nil || root != c.head.header.StateRoot {
		return fmt.Errorf("the stored state tree (root %x, %v) is not the head's (block %s, state root %s): "+
			"the database was written by an incompatible version of tinychain, or is damaged; remove it and sync again",
			root, err, c.head.hash, c.head.header.StateRoot)
	}
	// A tip with an invalid-free valid child chain is still a tip; make sure
	// nodes whose children are all invalid count as tips too.
	for _, n := range c.index {
		if !n.status.invalid() && !hasValidChild(n) {
			c.tips.add(n)
		}
	}
	return nil
}

func hasValidChild(n *blockNode) bool {
	for _, ch := range n.children {
		if !ch.status.invalid() {
			return true
		}
	}
	return false
}

// Close closes the database. Safe to call twice.
func (c *Chain) Close() error {
	var err error
	c.closeOnce.Do(func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		// The last head writes since the barrier go to the disk too.
		// (An empty batch would not reach the journal: rewrite the head.)
		if c.StorageErr() == nil && c.head != nil {
			batch := new(store.Batch)
			batch.Put(keyHead, c.head.hash[:])
			_ = c.db.Write(batch, true)
		}
		c.proofs.releaseAll()
		err = c.db.Close()
	})
	return err
}

// Subscribe registers f to be called, in order, after every head change.
// f runs outside the chain lock and may read the Chain; it must not call
// ProcessBlock or RetryFutureBlocks (events are delivered one at a time).
func (c *Chain) Subscribe(f func(*HeadEvent)) {
	c.notifyMu.Lock()
	c.listeners = append(c.listeners, f)
	c.notifyMu.Unlock()
}

// unlockAndNotify queues evs, releases the chain lock and tells the
// listeners. Events are queued under the chain lock, so in the order the
// head moved, and one drainer at a time delivers them in that order.
// Listeners run with no chain lock held, so they may read the chain.
//
// MUST be called with the chain lock held (for writing).
func (c *Chain) unlockAndNotify(evs []*HeadEvent) {
	if len(evs) > 0 {
		c.evMu.Lock()
		c.pending = append(c.pending, evs...)
		c.evMu.Unlock()
	}
	c.mu.Unlock()
	c.drainEvents()
}

// drainEvents delivers queued events until none are left.
func (c *Chain) drainEvents() {
	c.notifyMu.Lock()
	defer c.notifyMu.Unlock()
	for {
		c.evMu.Lock()
		evs := c.pending
		c.pending = nil
		c.evMu.Unlock()
		if len(evs) == 0 {
			return
		}
		for _, ev := range evs {
			for _, f := range c.listeners {
				f(ev)
			}
		}
	}
}

// newState returns a view of db that shares the chain's program cache.
func (c *Chain) newState(db smt.Reader) *state.State {
	st := state.New(db)
	st.Programs = c.progs
	return st
}

// PendingCounts returns the fork-choice candidates (tips), the orphan
// headers and the blocks held for their timestamp: bounded sets a peer can
// grow, for tests and metrics.
func (c *Chain) PendingCounts() (tips, orphans, held int) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.tips.len(), c.orphans.len(), c.future.len()
}
