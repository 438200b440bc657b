package blockchain

import (
	"container/heap"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/proto"
)

// nodeStatus is what is known of a block in the index.
type nodeStatus uint8

const (
	// statusStored: header and data checked and stored, never connected.
	statusStored nodeStatus = iota
	// statusValid: the block was connected once: its state transition holds.
	statusValid
	// statusInvalid: the block broke a rule.
	statusInvalid
	// statusInvalidAncestor: an ancestor broke a rule.
	statusInvalidAncestor
)

func (s nodeStatus) String() string {
	return [...]string{"stored", "valid", "invalid", "invalid-ancestor"}[s]
}

func (s nodeStatus) invalid() bool { return s >= statusInvalid }

// blockNode is a block in the in-memory block index: every block whose
// header passed its checks on the main chain or on a side branch within
// the anti-DoS work margin of the head, linked to its parent.
type blockNode struct {
	hash     common.Hash
	header   proto.Header
	parent   *blockNode
	children []*blockNode
	work     *big.Int // cumulative work up to and including this block
	status   nodeStatus
	seq      uint64
	// anchorTime is the timestamp of block 1 on this branch (the ASERT
	// anchor), kept so that no check walks the whole chain.
	anchorTime uint64
	// tipPos is the node's place in the two heaps of the tip set, plus
	// one (0: not a tip).
	tipPos [2]int
	// promised, if set, is the checked header work of the branch that a
	// headers-first sync fetched this block for (BlockOrigin.BranchWork),
	// above the block's own work: the first blocks of a branch that forked
	// deeper than the work margin are below the threshold on their own,
	// and must not be pruned before the rest of their branch arrives. In
	// memory only: after a restart the branch is synced again.
	promised *big.Int
}

// pruneWork is the work that keeps n from being pruned: its own, or the
// checked work of the branch it was fetched for.
func (n *blockNode) pruneWork() *big.Int {
	if n.promised != nil {
		return n.promised
	}
	return n.work
}

func (n *blockNode) height() uint64 { return n.header.Height }

func (n *blockNode) record() *indexRecord {
	return &indexRecord{Header: n.header, Work: workBytes(n.work), Status: uint8(n.status), Seq: n.seq}
}

// newNode links a node for header h under parent (nil for the genesis).
func newNode(h *proto.Header, hash common.Hash, parent *blockNode, seq uint64) *blockNode {
	n := &blockNode{hash: hash, header: *h, parent: parent, seq: seq, work: chain.CalcWork(h.TargetBig())}
	if parent != nil {
		n.work.Add(n.work, parent.work)
		n.anchorTime = parent.anchorTime
		parent.children = append(parent.children, n)
	}
	if h.Height == 1 {
		n.anchorTime = h.Timestamp
	}
	return n
}

// headerContext is the context a child of n is checked against.
func (n *blockNode) headerContext() chain.HeaderContext {
	ctx := chain.HeaderContext{Parent: &n.header}
	for p := n; p != nil && len(ctx.PrevTimes) < 11; p = p.parent {
		ctx.PrevTimes = append(ctx.PrevTimes, p.header.Timestamp)
	}
	ctx.AnchorTime = n.anchorTime
	return ctx
}

// findFork returns the last common ancestor of a and b.
func findFork(a, b *blockNode) *blockNode {
	for a.height() > b.height() {
		a = a.parent
	}
	for b.height() > a.height() {
		b = b.parent
	}
	for a != b {
		a, b = a.parent, b.parent
	}
	return a
}

// better reports whether n should be preferred to m as the chain tip:
// more work wins; on equal work, the one seen first.
func (n *blockNode) better(m *blockNode) bool {
	if c := n.work.Cmp(m.work); c != 0 {
		return c > 0
	}
	return n.seq < m.seq
}

// tipSet holds the fork-choice candidates, the nodes with no valid child,
// in two heaps: by preference (most work, then first seen), so the best
// tip is read in O(1) and each block costs O(log tips); and by least work,
// so the tips that fall below the anti-DoS work threshold are found
// without a scan (pruneTips).
type tipSet struct {
	best, low tipHeap
}

func newTipSet() *tipSet {
	return &tipSet{
		best: tipHeap{which: 0, less: func(a, b *blockNode) bool { return a.better(b) }},
		low:  tipHeap{which: 1, less: func(a, b *blockNode) bool { return a.pruneWork().Cmp(b.pruneWork()) < 0 }},
	}
}

func (s *tipSet) has(n *blockNode) bool { return n.tipPos[0] != 0 }
func (s *tipSet) len() int              { return len(s.best.nodes) }

// add makes n a candidate (nothing if it is one).
func (s *tipSet) add(n *blockNode) {
	if !s.has(n) {
		heap.Push(&s.best, n)
		heap.Push(&s.low, n)
	}
}

// remove drops n from the candidates (nothing if it is not one).
func (s *tipSet) remove(n *blockNode) {
	if s.has(n) {
		heap.Remove(&s.best, n.tipPos[0]-1)
		heap.Remove(&s.low, n.tipPos[1]-1)
	}
}

// top returns the preferred tip, or nil when there is none.
func (s *tipSet) top() *blockNode {
	if len(s.best.nodes) == 0 {
		return nil
	}
	return s.best.nodes[0]
}

// lowest returns the tip with the least work, or nil.
func (s *tipSet) lowest() *blockNode {
	if len(s.low.nodes) == 0 {
		return nil
	}
	return s.low.nodes[0]
}

// tipHeap is a container/heap of nodes that records each node's position
// in node.tipPos[which] (plus one; 0 means absent), for O(log n) removal.
type tipHeap struct {
	nodes []*blockNode
	which int
	less  func(a, b *blockNode) bool
}

func (h *tipHeap) Len() int           { return len(h.nodes) }
func (h *tipHeap) Less(i, j int) bool { return h.less(h.nodes[i], h.nodes[j]) }
func (h *tipHeap) Swap(i, j int) {
	h.nodes[i], h.nodes[j] = h.nodes[j], h.nodes[i]
	h.nodes[i].tipPos[h.which] = i + 1
	h.nodes[j].tipPos[h.which] = j + 1
}
func (h *tipHeap) Push(x any) {
	n := x.(*blockNode)
	h.nodes = append(h.nodes, n)
	n.tipPos[h.which] = len(h.nodes)
}
func (h *tipHeap) Pop() any {
	n := h.nodes[len(h.nodes)-1]
	h.nodes[len(h.nodes)-1] = nil
	h.nodes = h.nodes[:len(h.nodes)-1]
	n.tipPos[h.which] = 0
	return n
}
