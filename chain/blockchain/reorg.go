package blockchain

import (
	"fmt"
	"slices"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/chain/state"
	"github.com/tinychain/tinychain/chain/store"
	"github.com/tinychain/tinychain/proto"
)

// updateBestChain moves the head to the best valid tip: the one with the
// most cumulative work, the first seen on a tie. When a block on the way
// fails its state transition it is marked invalid (and its descendants
// invalid-ancestor) and the choice runs again, so the head always ends on
// the heaviest chain that is valid as far as it goes.
//
// MUST be called with the chain lock held.
func (c *Chain) updateBestChain() []*HeadEvent {
	var evs []*HeadEvent
	for {
		// The head competes too: on equal work the first seen wins, so
		// after a failed reorganisation the head returns to the chain it
		// left when that chain was seen first.
		// The tips are ordered (tipSet): the best is read, not searched.
		best := c.head
		if t := c.tips.top(); t != nil && t.better(best) {
			best = t
		}
		if best == c.head {
			return evs
		}
		ev, err := c.reorganize(best)
		if ev != nil {
			evs = append(evs, ev)
		}
		if err != nil {
			if chain.CodeOf(err) == 0 {
				// Not a rule: the database failed. Stay where we are.
				c.log.Error("cannot move head", "target", best.hash, "err", err)
				return evs
			}
		}
	}
}

// reorganize disconnects the head back to the fork with target's branch
// and connects that branch up to target, one atomic batch per block. If a
// block fails, it is marked invalid and the head stays at its parent.
//
// MUST be called with the chain lock held.
func (c *Chain) reorganize(target *blockNode) (*HeadEvent, error) {
	fork := findFork(c.head, target)
	ev := &HeadEvent{}
	for c.head != fork {
		b, err := c.disconnect(c.head)
		if err != nil {
			return ev.finish(c), err
		}
		ev.Disconnected = append(ev.Disconnected, b)
	}
	var path []*blockNode
	for n := target; n != fork; n = n.parent {
		path = append(path, n)
	}
	for i := len(path) - 1; i >= 0; i-- {
		start := time.Now()
		b, gas, err := c.connect(path[i])
		if err != nil {
			if chain.CodeOf(err) != 0 {
				c.markInvalid(path[i], err)
			}
			return ev.finish(c), err
		}
		ev.Connected = append(ev.Connected, b)
		ev.Stats = append(ev.Stats, ConnectStats{GasUsed: gas, Took: time.Since(start)})
	}
	if len(ev.Disconnected) > 0 {
		c.log.Warn("chain reorganised", "depth", len(ev.Disconnected), "fork", fork.height(),
			"old_head", ev.Disconnected[0].Hash(), "new_head", c.head.hash, "height", c.head.height())
	}
	return ev.finish(c), nil
}

// finish fills in the head; an event that moved nothing is nil.
func (ev *HeadEvent) finish(c *Chain) *HeadEvent {
	if len(ev.Connected) == 0 && len(ev.Disconnected) == 0 {
		return nil
	}
	if len(ev.Connected) > 0 {
		ev.Head = ev.Connected[len(ev.Connected)-1]
	} else if b, err := c.loadBlock(c.head); err == nil {
		ev.Head = b
	}
	return ev
}

// connect executes n's block on the head state (n's parent must be the
// head) and commits the state, receipts, undo data, tx index and new head
// in one batch.
//
// MUST be called with the chain lock held.
func (c *Chain) connect(n *blockNode) (*proto.Block, uint64, error) {
	b, err := c.loadBlock(n)
	if err != nil {
		return nil, 0, err
	}
	st, receipts, err := c.execute(n, b)
	if err != nil {
		return nil, 0, err
	}
	// The state's commit (Merkle updates and root) runs beside the rest of
	// the block's writes (receipts, tx and address indexes): the two share
	// nothing, and each gets a core. The errors come in the order of the
	// rules: receipts root, then state root.
	batch, side := c.connBatch, c.sideBatch
	batch.Reset()
	side.Reset()
	done := make(chan stateCommit, 1)
	go func() {
		var sc stateCommit
		sc.root, sc.undo, sc.err = st.Commit(batch)
		done <- sc
	}()
	rr, ierr := indexBlock(side, n.hash, b, c.recent.encoding(b), receipts)
	sc := <-done
	if rr != b.Header.ReceiptsRoot {
		return nil, 0, ruleErr(chain.ErrBadReceiptsRoot, "block %s: receipts root %s, computed %s", n.hash, b.Header.ReceiptsRoot, rr)
	}
	if sc.err != nil {
		return nil, 0, sc.err
	}
	if sc.root != b.Header.StateRoot {
		return nil, 0, ruleErr(chain.ErrBadStateRoot, "block %s: state root %s, computed %s", n.hash, b.Header.StateRoot, sc.root)
	}
	if ierr != nil {
		return nil, 0, ierr
	}
	putRLP(batch, undoKey(n.hash), sc.undo)
	batch.Append(side)
	batch.Put(heightKey(n.height()), n.hash[:])
	batch.Put(keyHead, n.hash[:])
	old := n.status
	n.status = statusValid
	putRLP(batch, indexKey(n.hash), n.record())
	if err := c.writeHead(batch); err != nil {
		n.status = old
		return nil, 0, fmt.Errorf("commit block %s: %w", n.hash, err)
	}
	c.nodes.Written()
	c.head = n
	c.main = append(c.main[:n.height()], n)
	c.proofs.remember(c.db, n.hash)
	var gas uint64
	for _, r := range receipts {
		gas += r.GasUsed
	}
	return b, gas, nil
}

// stateCommit is what State.Commit returns.
type stateCommit struct {
	root common.Hash
	undo []state.UndoEntry
	err  error
}

// indexBlock puts the receipts of b (hash h, stored as enc), one key each
// so that a tx lookup reads its own only, its txs' locations and its
// address index entries into batch, and returns the receipts root
// (computed first, from the same encodings, whatever fails after).
func indexBlock(batch *store.Batch, h common.Hash, b *proto.Block, enc []byte, receipts []*proto.Receipt) (common.Hash, error) {
	encs := make([][]byte, len(receipts))
	for i, r := range receipts {
		encs[i] = proto.Encode(r)
	}
	root := chain.ReceiptsRootOf(encs)
	for i, enc := range encs {
		batch.Put(receiptKey(h, i), enc)
	}
	locs, err := txLocations(h, enc) // the stored encoding (canonical: b.Encode())
	if err != nil {
		return root, err
	}
	putTxLocations(batch, b.Txs, locs)
	return root, indexAddresses(batch, b, false)
}

// putTxLocations puts each tx's location under its hash, in the order of
// the keys (LevelDB inserts keys that follow one another for less than
// random ones), the keys and records cut from one buffer.
func putTxLocations(batch *store.Batch, txs []*proto.Tx, locs []TxLocation) {
	order := make([]int, len(txs))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(i, j int) int { return txs[i].Hash().Cmp(txs[j].Hash()) })
	buf := make([]byte, 0, len(txs)*(1+common.HashLength+maxLocationLen))
	for _, i := range order {
		h := txs[i].Hash()
		buf = append(append(buf, 't'), h[:]...)
		key := buf[len(buf)-1-common.HashLength:]
		n := len(buf)
		buf = appendLocation(buf, &locs[i])
		batch.Put(key, buf[n:])
	}
}

// maxLocationLen bounds appendLocation's output: a list header, a hash
// and three uint32s.
const maxLocationLen = 1 + 1 + common.HashLength + 3*5

// appendLocation appends the RLP encoding of loc (what proto.Encode
// gives, without its reflection: the list is always shorter than 56
// bytes, so its header is one byte).
func appendLocation(dst []byte, loc *TxLocation) []byte {
	var body [maxLocationLen - 1]byte
	b := append(body[:0], 0x80+common.HashLength)
	b = append(b, loc.Block[:]...)
	b = rlp.AppendUint64(b, uint64(loc.Index))
	b = rlp.AppendUint64(b, uint64(loc.Offset))
	b = rlp.AppendUint64(b, uint64(loc.Length))
	return append(append(dst, 0xc0+byte(len(b))), b...)
}

// preExecuted is a block executed on the head state before it was
// stored (acceptLocked), so that its execution overlapped the recovery of
// its senders; connect takes it when it connects that block on that head.
type preExecuted struct {
	hash     common.Hash
	head     *blockNode
	st       *state.State
	receipts []*proto.Receipt
	err      error
}

// preExecute executes pb's block, a child of the head, on the head state
// while its senders are still recovered (pb.check), and keeps the result
// for connect. It writes nothing; the caller takes pb.check's verdict
// before the result counts.
//
// MUST be called with the chain lock held.
func (c *Chain) preExecute(pb *pendingBlock) {
	st := c.newState(c.db)
	st.Nodes = c.nodes
	receipts, err := chain.ApplyCheckedBlock(st, pb.block, pb.check, c.g)
	c.pre = &preExecuted{hash: pb.block.Hash(), head: c.head, st: st, receipts: receipts, err: err}
}

// execute executes n's block b on the head state: preExecute's result if
// it is for this block on this head, else now. A block received lately
// passed CheckBlock on its way in and keeps its senders; one read back
// from the database is checked again (its senders are needed).
//
// MUST be called with the chain lock held.
func (c *Chain) execute(n *blockNode, b *proto.Block) (*state.State, []*proto.Receipt, error) {
	if p := c.pre; p != nil && p.hash == n.hash && p.head == c.head && n.parent == c.head {
		c.pre = nil
		return p.st, p.receipts, p.err
	}
	senders := c.recent.senders(n.hash)
	if senders == nil {
		var err error
		if senders, err = chain.CheckBlock(b, c.g); err != nil {
			return nil, nil, err
		}
	}
	st := c.newState(c.db)
	st.Nodes = c.nodes
	receipts, err := chain.ApplyBlock(st, b, senders, c.g)
	return st, receipts, err
}

// disconnect rolls the head block back from its undo data, in one batch.
//
// MUST be called with the chain lock held.
func (c *Chain) disconnect(n *blockNode) (*proto.Block, error) {
	c.pre = nil
	b, err := c.loadBlock(n)
	if err != nil {
		return nil, err
	}
	var undo []state.UndoEntry
	if found, err := storeGet(c.db, undoKey(n.hash), &undo); err != nil || !found {
		return nil, fmt.Errorf("undo data of %s: found=%v %v", n.hash, found, err)
	}
	batch := new(store.Batch)
	root, err := state.Revert(c.db, c.nodes, batch, undo)
	if err != nil {
		return nil, err
	}
	if root != n.parent.header.StateRoot {
		// The undo data does not lead back to the parent's state: the
		// database is corrupt. Refuse rather than build on a wrong state.
		return nil, fmt.Errorf("undo of %s gives state root %s, parent has %s", n.hash, root, n.parent.header.StateRoot)
	}
	for _, tx := range b.Txs {
		batch.Delete(txKey(tx.Hash()))
	}
	if err := indexAddresses(batch, b, true); err != nil {
		return nil, err
	}
	batch.Delete(undoKey(n.hash))
	for i := range b.Txs {
		batch.Delete(receiptKey(n.hash, i))
	}
	batch.Delete(heightKey(n.height()))
	batch.Put(keyHead, n.parent.hash[:])
	if err := c.writeHead(batch); err != nil {
		return nil, fmt.Errorf("roll back block %s: %w", n.hash, err)
	}
	c.nodes.Written()
	c.head = n.parent
	c.main = c.main[:n.height()]
	c.proofs.remember(c.db, n.parent.hash)
	return b, nil
}

// markInvalid records that n broke a rule (err) and that its descendants
// descend from an invalid block; its parent becomes a tip again.
//
// MUST be called with the chain lock held.
func (c *Chain) markInvalid(n *blockNode, err error) {
	c.log.Warn("invalid block", "block", n.hash, "height", n.height(), "err", err)
	c.rejected(n.hash, err)
	if len(c.badReasons) >= maxBadReasons {
		clear(c.badReasons)
	}
	c.badReasons[n.hash] = err
	batch := new(store.Batch)
	var mark func(m *blockNode, s nodeStatus)
	mark = func(m *blockNode, s nodeStatus) {
		m.status = s
		c.tips.remove(m)
		putRLP(batch, indexKey(m.hash), m.record())
		for _, ch := range m.children {
			mark(ch, statusInvalidAncestor)
		}
	}
	mark(n, statusInvalid)
	if p := n.parent; p != nil && !p.status.invalid() && !hasValidChild(p) {
		c.tips.add(p)
	}
	if werr := c.write(batch); werr != nil {
		c.log.Error("cannot persist invalid status", "block", n.hash, "err", werr)
	}
}

const maxBadReasons = 1024

// loadBlock returns n's block from the recent cache or the database.
//
// MUST be called with the chain lock held.
func (c *Chain) loadBlock(n *blockNode) (*proto.Block, error) {
	if b := c.recent.get(n.hash); b != nil {
		return b, nil
	}
	enc, found, err := c.db.Get(blockKey(n.hash))
	if err == nil && !found {
		return nil, fmt.Errorf("block %s: data missing", n.hash)
	}
	if err != nil {
		return nil, err
	}
	b, err := proto.DecodeBlock(enc)
	if err != nil {
		return nil, fmt.Errorf("stored block %s: %w", n.hash, err)
	}
	c.recent.add(b, nil)
	return b, nil
}
