package blockchain

import (
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/chain/store"
	"github.com/tinychain/tinychain/proto"
)

// pendingBlock is a block whose context-free checks passed, or whose
// txs' checks are under way (check), with the senders they recovered and
// where it came from.
type pendingBlock struct {
	block   *proto.Block
	check   *chain.BlockCheck // the txs' checks until checkedLocked
	senders []common.Address  // set once they passed
	origin  BlockOrigin
}

// BlockOrigin says where a block came from, for the checks that depend on
// it. The zero value is a block of our own: mined here, or asked for by a
// sync.
type BlockOrigin struct {
	// Peer is the peer that sent the block ("" for our own): orphans and
	// held future blocks are bounded per peer.
	Peer string
	// Gossip: the block came unasked. It is stored only if its chain has
	// at least the head's work (Bitcoin Core processes no unrequested
	// block with less work than its tip): a lighter branch comes in by a
	// sync, once its headers show it heavier.
	Gossip bool
	// BranchWork, if set, is the cumulative work of checked headers that
	// the block leads to (a headers-first sync): the anti-DoS work
	// threshold is applied to it rather than to the block's own work, so
	// the first blocks of a heavier branch that forked deeper than the
	// margin are stored. The caller MUST have checked those headers.
	BranchWork *big.Int
}

// WorkMarginBlocks is the anti-DoS work margin, in blocks at the head's
// target (Bitcoin Core's GetAntiDoSWorkThreshold uses 144, a day of its
// blocks): a block is stored only if its chain's work is at least the
// head's work minus this many blocks' work. Within the margin, every
// stored block cost its sender about a block's proof of work (ASERT
// eases the target of a late branch by at most 2^((margin + max_future)
// / half_life)); below it, a branch forked deep in the past, where ASERT
// lets a late branch's targets reach pow_limit, costs nothing and is not
// stored. The same margin prunes side tips (pruneTips).
const WorkMarginBlocks = 144

// Future blocks: a block up to max_future_ms ahead of our clock is
// accepted; up to futureHoldFactor × max_future_ms ahead it is held (its
// body included, checked) until its time comes, then retried once; beyond
// that it is refused. Held blocks are bounded per peer and in total,
// in count and bytes, so the set cannot be pinned: every entry leaves it
// within (futureHoldFactor-1) × max_future_ms plus one retry tick.
const (
	futureHoldFactor    = 2
	maxFutureBlocks     = 32
	maxFuturePerPeer    = 4
	maxFutureBytes      = 32 << 20
	futureRetryLateness = 60_000 // ms past its due time an unretried entry is dropped
)

// ProcessBlock is ProcessBlockFrom for a block of our own (the miner, a
// sync, a test): no peer, not gossip.
func (c *Chain) ProcessBlock(b *proto.Block) error {
	return c.ProcessBlockFrom(b, BlockOrigin{})
}

// ProcessBlockFrom is the entry point for every block, mined here or
// received. The cheap checks come first, so that what a block costs us
// before it shows real proof of work is a decode and a hash:
//
//  1. a known block is ErrDuplicate (so is one held as orphan or future);
//     a block known invalid repeats its error;
//  2. CheckHeader: size, version, height, target within pow_limit, PoW;
//  3. an unknown parent keeps the header alone in the orphan pool
//     (ErrOrphan; ErrOrphanFlood past the sender's bound);
//  4. a parent known invalid: ErrInvalidAncestor (nothing is stored);
//  5. a chain whose work is below the anti-DoS threshold: ErrLowWork
//     (nothing is stored); a timestamp beyond the hold horizon:
//     ErrFutureRefused;
//  6. CheckBlock (tx root, txs, signatures in parallel, outside the lock);
//  7. CheckHeaderContext against its parent; a block from the near future
//     is held and retried (ErrFutureBlock); any other failure is returned
//     (nothing is stored);
//  8. it is stored and indexed with its cumulative work, and the fork
//     choice runs: if its branch is now the heaviest valid one, the chain
//     reorganises onto it, executing each block (state, receipts roots);
//     a block that fails execution returns its rule error wrapped in
//     ErrExecution; side tips below the threshold are pruned.
//
// It returns nil when the block was stored, whether or not it became the
// head (BlockInfo.Main tells), or the reason it was not.
func (c *Chain) ProcessBlockFrom(b *proto.Block, o BlockOrigin) error {
	hash := b.Hash()
	parent, err := c.precheck(b, o)
	if err != nil {
		return err
	}
	if parent == nil {
		c.mu.Lock()
		if c.index[b.Header.PrevHash] != nil {
			// The parent came while the lock was free: start again.
			c.mu.Unlock()
			return c.ProcessBlockFrom(b, o)
		}
		err := c.orphanLocked(b, o)
		c.mu.Unlock()
		return err
	}
	// CheckBlock's checks but the signatures' here; the recoveries run on
	// the cores while acceptLocked executes the block (checkedLocked).
	chk, err := chain.StartCheckBlock(b, c.g)
	if err != nil {
		c.rejected(hash, err)
		return err
	}
	c.mu.Lock()
	evs, err := c.acceptLocked(&pendingBlock{block: b, check: chk, origin: o})
	c.unlockAndNotify(evs)
	return err
}

// precheck runs steps 1 to 5 of ProcessBlockFrom, under read locks: a
// known or pending block, CheckHeader, then, if the parent is known, the
// checks against it (admissibleLocked). It returns the parent, nil if it
// is unknown (the block is an orphan), or the error of the first check
// that failed.
func (c *Chain) precheck(b *proto.Block, o BlockOrigin) (*blockNode, error) {
	hash := b.Hash()
	c.mu.RLock()
	n, known := c.index[hash]
	pending := c.orphans.has(hash) || c.future.has(hash)
	c.mu.RUnlock()
	switch {
	case known && n.status.invalid():
		return nil, ruleErr(chain.ErrInvalidAncestor, "block %s is known invalid (%s)", hash, n.status)
	case known || pending:
		return nil, chain.ErrDuplicate
	}
	if err := chain.CheckHeader(b, c.g); err != nil {
		c.rejected(hash, err)
		return nil, err
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	parent := c.index[b.Header.PrevHash]
	if parent == nil {
		return nil, nil
	}
	return parent, c.admissibleLocked(b, parent, o)
}

// orphanLocked keeps b's header in the orphan pool.
//
// MUST be called with the chain lock held.
func (c *Chain) orphanLocked(b *proto.Block, o BlockOrigin) error {
	known := func(h common.Hash) bool { return c.index[h] != nil }
	if err := c.orphans.add(&b.Header, b.Hash(), o.Peer, c.now(), known); err != nil {
		return err
	}
	return chain.ErrOrphan
}

// admissibleLocked runs the checks of b against its known parent that
// come before any work on its body: the parent's status, the anti-DoS
// work threshold and the hold horizon.
//
// MUST be called with the chain lock held (read or write).
func (c *Chain) admissibleLocked(b *proto.Block, parent *blockNode, o BlockOrigin) error {
	hash := b.Hash()
	if parent.status.invalid() {
		return ruleErr(chain.ErrInvalidAncestor, "block %s: parent %s is %s", hash, parent.hash, parent.status)
	}
	work := new(big.Int).Add(parent.work, chain.CalcWork(b.Header.TargetBig()))
	if o.BranchWork != nil && o.BranchWork.Cmp(work) > 0 {
		work = o.BranchWork
	}
	need, what := c.workThresholdLocked(), "the anti-DoS threshold"
	if o.Gossip {
		need, what = c.head.work, "the head's work"
	}
	if work.Cmp(need) < 0 {
		return fmt.Errorf("%w: block %s at height %d has chain work %s, below %s %s", chain.ErrLowWork, hash, b.Header.Height, work, what, need)
	}
	nowMs := uint64(c.now().UnixMilli())
	if horizon := nowMs + futureHoldFactor*uint64(c.g.MaxFutureMs); b.Header.Timestamp > horizon {
		return fmt.Errorf("%w: block %s is %d ms ahead of our clock, more than the %d ms we hold",
			chain.ErrFutureRefused, hash, b.Header.Timestamp-nowMs, futureHoldFactor*c.g.MaxFutureMs)
	}
	return nil
}

// workThresholdLocked is the anti-DoS work threshold: the head's work
// minus WorkMarginBlocks blocks at the head's target, at least 0 (so a
// young chain takes any branch).
//
// MUST be called with the chain lock held (read or write).
func (c *Chain) workThresholdLocked() *big.Int {
	margin := chain.CalcWork(c.head.header.TargetBig())
	margin.Mul(margin, big.NewInt(WorkMarginBlocks))
	t := margin.Sub(c.head.work, margin)
	if t.Sign() < 0 {
		t.SetInt64(0)
	}
	return t
}

// AntiDoSWorkThreshold returns the least chain work a block's branch must
// have to be stored: the head's work minus WorkMarginBlocks blocks' work.
// A headers-first sync compares a branch's checked header work with it.
func (c *Chain) AntiDoSWorkThreshold() *big.Int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.workThresholdLocked()
}

// acceptLocked runs steps 3 to 8 of ProcessBlockFrom (again from 3 for a
// held block whose time came: the chain may have moved meanwhile).
//
// MUST be called with the chain lock held.
func (c *Chain) acceptLocked(pb *pendingBlock) ([]*HeadEvent, error) {
	b, hash := pb.block, pb.block.Hash()
	// Each early return first takes the txs' checks: CheckBlock's errors
	// come before all of these.
	if _, known := c.index[hash]; known {
		return nil, c.checkedOr(pb, chain.ErrDuplicate)
	}
	parent := c.index[b.Header.PrevHash]
	if parent == nil {
		if err := c.checkedLocked(pb); err != nil {
			return nil, err
		}
		return nil, c.orphanLocked(b, pb.origin)
	}
	if err := c.admissibleLocked(b, parent, pb.origin); err != nil {
		return nil, c.checkedOr(pb, err)
	}
	nowMs := uint64(c.now().UnixMilli())
	if err := chain.CheckHeaderContext(&b.Header, parent.headerContext(), c.g, nowMs); err != nil {
		if err := c.checkedLocked(pb); err != nil {
			return nil, err
		}
		if errors.Is(err, chain.ErrTimeTooNew) {
			return nil, c.future.hold(pb, nowMs, c.g.MaxFutureMs)
		}
		// Nothing is stored: a header that fails against its parent
		// costs its sender as little as it costs us to check it again.
		c.rejected(hash, err)
		return nil, err
	}
	if parent == c.head && pb.check != nil {
		c.preExecute(pb) // while the senders are recovered
	}
	defer func() { c.pre = nil }()
	if err := c.checkedLocked(pb); err != nil {
		return nil, err
	}
	n, enc, err := c.addNode(b, parent, pb.origin.BranchWork)
	if err != nil {
		return nil, err
	}
	c.recent.add(b, pb.senders)
	c.recent.setEncoding(hash, enc)
	evs := c.updateBestChain()
	c.pruneTips()
	if n.status.invalid() {
		err = fmt.Errorf("%w: %w", chain.ErrExecution, c.invalidReason(n))
	}
	// Orphans that waited for this block come with the sync that brought
	// it (their sender's), whole; their headers are no longer needed.
	if k := c.orphans.dropChildren(hash); k > 0 {
		c.log.Debug("parent of orphans arrived", "block", hash, "orphans", k)
	}
	return evs, err
}

// checkedLocked waits for pb's tx checks (StartCheckBlock) and reports a
// block that fails them as CheckBlock's failure: rejected, not stored.
//
// MUST be called with the chain lock held.
func (c *Chain) checkedLocked(pb *pendingBlock) error {
	if pb.check == nil {
		return nil
	}
	senders, err := pb.check.Wait()
	if err != nil {
		c.rejected(pb.block.Hash(), err)
		return err
	}
	pb.check, pb.senders = nil, senders
	return nil
}

// checkedOr returns checkedLocked's error, else err.
//
// MUST be called with the chain lock held.
func (c *Chain) checkedOr(pb *pendingBlock, err error) error {
	if cerr := c.checkedLocked(pb); cerr != nil {
		return cerr
	}
	return err
}

// rejected reports a block that broke a rule to Config.Rejected.
func (c *Chain) rejected(hash common.Hash, err error) {
	if c.onRejected != nil {
		c.onRejected(hash, err)
	}
}

// RetryFutureBlocks processes the held blocks whose time has come, and
// drops those left unretried long past it. The node calls it every second
// or so.
func (c *Chain) RetryFutureBlocks() {
	c.mu.Lock()
	nowMs := uint64(c.now().UnixMilli())
	ready := c.future.takeDue(nowMs)
	sortPending(ready)
	var evs []*HeadEvent
	for _, pb := range ready {
		e, err := c.acceptLocked(pb)
		evs = append(evs, e...)
		if err != nil && !errors.Is(err, chain.ErrDuplicate) {
			c.log.Debug("future block rejected", "block", pb.block.Hash(), "err", err)
		}
	}
	c.unlockAndNotify(evs)
}

// addNode stores block b under parent and indexes it as a new tip. It
// returns the encoding it stored.
//
// MUST be called with the chain lock held.
func (c *Chain) addNode(b *proto.Block, parent *blockNode, branchWork *big.Int) (*blockNode, []byte, error) {
	hash := b.Hash()
	n := newNode(&b.Header, hash, parent, c.seq)
	n.status = statusStored
	if branchWork != nil && branchWork.Cmp(n.work) > 0 {
		n.promised = branchWork
	}
	batch := new(store.Batch)
	enc := b.Encode()
	batch.Put(blockKey(hash), enc)
	putRLP(batch, indexKey(hash), n.record())
	if err := c.write(batch); err != nil {
		// Undo the in-memory link: nothing was stored.
		parent.children = parent.children[:len(parent.children)-1]
		return nil, nil, fmt.Errorf("store block %s: %w", hash, err)
	}
	c.seq++
	c.index[hash] = n
	c.tips.remove(parent)
	c.tips.add(n)
	return n, enc, nil
}

// pruneTips drops the side branches whose tips fell below the anti-DoS
// work threshold (the head moved on): from the fork-choice candidates,
// the index and the database. Such a branch could only come back by
// outgrowing the head, and then it comes again by a sync, headers first.
// So the index holds the main chain and the side branches within the
// margin, and each stored side block cost its sender real work.
//
// MUST be called with the chain lock held.
func (c *Chain) pruneTips() {
	min := c.workThresholdLocked()
	batch := new(store.Batch)
	dropped := 0
	for t := c.tips.lowest(); t != nil && t.pruneWork().Cmp(min) < 0; t = c.tips.lowest() {
		c.tips.remove(t)
		// Up the branch while the node is a side block with no valid
		// child left; invalid descendants go with it.
		for n := t; n != nil && n != c.genesis && !c.onMain(n) && !hasValidChild(n); {
			p := n.parent
			dropped += c.dropSubtree(n, batch)
			p.children = removeChild(p.children, n)
			c.tips.remove(p)
			n = p
		}
	}
	if dropped == 0 {
		return
	}
	if err := c.write(batch); err != nil {
		c.log.Error("cannot delete pruned side blocks", "err", err)
		return
	}
	c.log.Debug("pruned side branches below the work threshold", "blocks", dropped, "threshold", min)
}

// dropSubtree removes n and its descendants from the index and deletes
// their records and data in batch. It returns how many it removed.
//
// MUST be called with the chain lock held.
func (c *Chain) dropSubtree(n *blockNode, batch *store.Batch) int {
	k := 1
	for _, ch := range n.children {
		k += c.dropSubtree(ch, batch)
	}
	c.tips.remove(n)
	delete(c.index, n.hash)
	delete(c.badReasons, n.hash)
	batch.Delete(blockKey(n.hash))
	batch.Delete(indexKey(n.hash))
	return k
}

func removeChild(kids []*blockNode, n *blockNode) []*blockNode {
	for i, k := range kids {
		if k == n {
			return append(kids[:i:i], kids[i+1:]...)
		}
	}
	return kids
}

// invalidReason describes why n was found invalid.
func (c *Chain) invalidReason(n *blockNode) error {
	if err, ok := c.badReasons[n.hash]; ok {
		return err
	}
	return ruleErr(chain.ErrInvalidAncestor, "block %s is %s", n.hash, n.status)
}

// futureSet holds blocks whose timestamp is a little ahead of our clock,
// until it comes. Bounded per peer and in total, in count and bytes; when
// it is full, the block due last gives way to one due earlier.
type futureSet struct {
	blocks  map[common.Hash]*heldBlock
	perPeer map[string]int
	bytes   int
}

type heldBlock struct {
	pb   *pendingBlock
	due  uint64 // our clock (ms) at which the block's timestamp is acceptable
	size int
}

func newFutureSet() *futureSet {
	return &futureSet{blocks: map[common.Hash]*heldBlock{}, perPeer: map[string]int{}}
}

func (f *futureSet) has(h common.Hash) bool { _, ok := f.blocks[h]; return ok }

func (f *futureSet) len() int { return len(f.blocks) }

// hold keeps pb until its time comes; the error says until when, or why
// it was refused.
func (f *futureSet) hold(pb *pendingBlock, nowMs uint64, maxFutureMs int64) error {
	b, hash := pb.block, pb.block.Hash()
	due := b.Header.Timestamp - uint64(maxFutureMs)
	ahead := b.Header.Timestamp - nowMs
	peer := pb.origin.Peer
	if f.perPeer[peer] >= maxFuturePerPeer {
		return fmt.Errorf("%w: block %s is %d ms ahead of our clock, and %d blocks of its sender are held already",
			chain.ErrFutureRefused, hash, ahead, maxFuturePerPeer)
	}
	size := b.Size()
	for len(f.blocks) >= maxFutureBlocks || f.bytes+size > maxFutureBytes {
		last := f.latest()
		if last == nil || last.due <= due {
			return fmt.Errorf("%w: block %s is %d ms ahead of our clock, and the held set is full (%d blocks, %d bytes)",
				chain.ErrFutureRefused, hash, ahead, len(f.blocks), f.bytes)
		}
		f.remove(last.pb.block.Hash())
	}
	f.blocks[hash] = &heldBlock{pb: pb, due: due, size: size}
	f.perPeer[peer]++
	f.bytes += size
	return fmt.Errorf("%w until %s (%d ms ahead of our clock)", chain.ErrFutureBlock,
		time.UnixMilli(int64(due)).UTC().Format("2006-01-02T15:04:05.000Z"), ahead)
}

// latest returns the held block due last.
func (f *futureSet) latest() *heldBlock {
	var last *heldBlock
	for _, hb := range f.blocks {
		if last == nil || hb.due > last.due {
			last = hb
		}
	}
	return last
}

func (f *futureSet) remove(h common.Hash) {
	hb := f.blocks[h]
	if hb == nil {
		return
	}
	delete(f.blocks, h)
	f.bytes -= hb.size
	if f.perPeer[hb.pb.origin.Peer]--; f.perPeer[hb.pb.origin.Peer] <= 0 {
		delete(f.perPeer, hb.pb.origin.Peer)
	}
}

// takeDue removes and returns the blocks whose time has come; it drops
// those past it by more than futureRetryLateness (a node that stopped
// retrying must not keep them).
func (f *futureSet) takeDue(nowMs uint64) []*pendingBlock {
	var out []*pendingBlock
	for h, hb := range f.blocks {
		if hb.due <= nowMs {
			f.remove(h)
			if nowMs-hb.due <= futureRetryLateness {
				out = append(out, hb.pb)
			}
		}
	}
	return out
}
