package chain

import (
	"math/big"

	"github.com/ethereum/go-ethereum/common"
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
// header passed its checks, on any branch, linked to its parent.
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
}

func (n *blockNode) height() uint64 { return n.header.Height }

func (n *blockNode) record() *indexRecord {
	return &indexRecord{Header: n.header, Work: workBytes(n.work), Status: uint8(n.status), Seq: n.seq}
}

// ancestor returns n's ancestor at height h (n itself when h is its height).
func (n *blockNode) ancestor(h uint64) *blockNode {
	for n != nil && n.height() > h {
		n = n.parent
	}
	return n
}

// newNode links a node for header h under parent (nil for the genesis).
func newNode(h *proto.Header, hash common.Hash, parent *blockNode, seq uint64) *blockNode {
	n := &blockNode{hash: hash, header: *h, parent: parent, seq: seq, work: CalcWork(h.TargetBig())}
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
func (n *blockNode) headerContext() HeaderContext {
	ctx := HeaderContext{Parent: &n.header}
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
