package chain

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/syndtr/goleveldb/leveldb"
	"github.com/tinychain/tinychain/proto"
)

// pendingBlock is a block that passed its context-free checks, with the
// senders they recovered.
type pendingBlock struct {
	block   *proto.Block
	senders []common.Address
}

// ProcessBlock is the entry point for every block, mined here or received:
//
//  1. a known block is ErrDuplicate; a block known invalid repeats its error;
//  2. CheckBlock (no context; signatures in parallel, outside the lock);
//  3. an unknown parent puts it in the orphan pool (ErrOrphan);
//  4. CheckHeaderContext against its parent; a block from the future is
//     held and retried (ErrFutureBlock), any other failure marks it invalid;
//  5. it is stored and indexed with its cumulative work, and the fork
//     choice runs: if its branch is now the heaviest valid one, the chain
//     reorganises onto it, executing each block (state, receipts roots);
//  6. orphans waiting for it are processed in turn.
//
// It returns nil when the block was stored (whether or not it became the
// head), or the reason it was not.
func (c *Chain) ProcessBlock(b *proto.Block) error {
	hash := b.Hash()
	c.mu.RLock()
	n, known := c.index[hash]
	isOrphan := c.orphans.has(hash)
	c.mu.RUnlock()
	if known {
		if n.status.invalid() {
			return ruleErr(ErrInvalidAncestor, "block %s is known invalid (%s)", hash, n.status)
		}
		return ErrDuplicate
	}
	if isOrphan {
		return ErrDuplicate
	}
	senders, err := CheckBlock(b, c.g)
	if err != nil {
		c.rejected(hash, err)
		return err
	}
	c.mu.Lock()
	evs, err := c.acceptLocked(&pendingBlock{b, senders})
	c.unlockAndNotify(evs)
	return err
}

// acceptLocked runs steps 3 to 6 of ProcessBlock.
//
// MUST be called with the chain lock held.
func (c *Chain) acceptLocked(pb *pendingBlock) ([]*HeadEvent, error) {
	b, hash := pb.block, pb.block.Hash()
	if _, known := c.index[hash]; known {
		return nil, ErrDuplicate
	}
	nowMs := uint64(c.now().UnixMilli())
	parent := c.index[b.Header.PrevHash]
	if parent == nil {
		c.orphans.add(pb, c.now())
		return nil, ErrOrphan
	}
	if parent.status.invalid() {
		c.addNode(b, parent, statusInvalidAncestor)
		c.rejected(hash, ErrInvalidAncestor)
		return nil, ruleErr(ErrInvalidAncestor, "block %s: parent %s is %s", hash, parent.hash, parent.status)
	}
	if err := CheckHeaderContext(&b.Header, parent.headerContext(), c.g, nowMs); err != nil {
		if errors.Is(err, ErrTimeTooNew) {
			if len(c.future) < maxFutureBlocks {
				c.future[hash] = pb
			}
			return nil, fmt.Errorf("%w: %v", ErrFutureBlock, err)
		}
		c.addNode(b, parent, statusInvalid)
		c.rejected(hash, err)
		return nil, err
	}
	n, err := c.addNode(b, parent, statusStored)
	if err != nil {
		return nil, err
	}
	c.recent.add(b)
	evs := c.updateBestChain()
	if n.status.invalid() {
		err = c.invalidReason(n)
	}
	// Orphans that were waiting for this block (and then for them).
	queue := []common.Hash{hash}
	for len(queue) > 0 {
		h := queue[0]
		queue = queue[1:]
		for _, o := range c.orphans.takeChildren(h) {
			oevs, oerr := c.acceptLocked(o)
			evs = append(evs, oevs...)
			if oerr == nil {
				queue = append(queue, o.block.Hash())
			} else {
				c.log.Debug("orphan rejected", "block", o.block.Hash(), "err", oerr)
			}
		}
	}
	return evs, err
}

// rejected reports a block that broke a rule to Config.Rejected.
func (c *Chain) rejected(hash common.Hash, err error) {
	if c.onRejected != nil {
		c.onRejected(hash, err)
	}
}

// maxFutureBlocks bounds the blocks held for their timestamp.
const maxFutureBlocks = 64

// RetryFutureBlocks processes the blocks held for a timestamp ahead of the
// clock whose time has come. The node calls it every second or so.
func (c *Chain) RetryFutureBlocks() {
	c.mu.Lock()
	nowMs := uint64(c.now().UnixMilli())
	var ready []*pendingBlock
	for h, pb := range c.future {
		if pb.block.Header.Timestamp <= nowMs+uint64(c.g.MaxFutureMs) {
			ready = append(ready, pb)
			delete(c.future, h)
		}
	}
	sortPending(ready)
	var evs []*HeadEvent
	for _, pb := range ready {
		e, err := c.acceptLocked(pb)
		evs = append(evs, e...)
		if err != nil && !errors.Is(err, ErrDuplicate) {
			c.log.Debug("future block rejected", "block", pb.block.Hash(), "err", err)
		}
	}
	c.unlockAndNotify(evs)
}

// addNode stores block b under parent with the given status and indexes it.
//
// MUST be called with the chain lock held.
func (c *Chain) addNode(b *proto.Block, parent *blockNode, status nodeStatus) (*blockNode, error) {
	hash := b.Hash()
	n := newNode(&b.Header, hash, parent, c.seq)
	n.status = status
	batch := new(leveldb.Batch)
	if status == statusStored {
		batch.Put(blockKey(hash), b.Encode())
	}
	putRLP(batch, indexKey(hash), n.record())
	if err := c.write(batch); err != nil {
		// Undo the in-memory link: nothing was stored.
		parent.children = parent.children[:len(parent.children)-1]
		return nil, fmt.Errorf("store block %s: %w", hash, err)
	}
	c.seq++
	c.index[hash] = n
	if !status.invalid() {
		delete(c.tips, parent)
		c.tips[n] = struct{}{}
	}
	return n, nil
}

// invalidReason describes why n was found invalid.
func (c *Chain) invalidReason(n *blockNode) error {
	if err, ok := c.badReasons[n.hash]; ok {
		return err
	}
	return ruleErr(ErrInvalidAncestor, "block %s is %s", n.hash, n.status)
}
