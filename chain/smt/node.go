package smt

import "fmt"

// kind says what a position holds.
type kind uint8

const (
	kindEmpty kind = iota
	kindLeaf
	kindBranch
)

// node is the content of one position. It is comparable, so Commit can tell
// a changed node from one that ended the block as it began.
type node struct {
	kind kind
	// a, b: leaf key and value, or branch left and right child hashes.
	a, b [32]byte
}

func leafNode(key, value [32]byte) node { return node{kind: kindLeaf, a: key, b: value} }

// nodeLen is the size of every stored node: tag and two 32-byte fields,
// exactly the node's hash preimage.
const nodeLen = 65

// appendEncoding appends the stored form of a non-empty node to dst.
func (n *node) appendEncoding(dst []byte) []byte {
	tag := tagLeaf
	if n.kind == kindBranch {
		tag = tagBranch
	}
	dst = append(dst, tag)
	dst = append(dst, n.a[:]...)
	return append(dst, n.b[:]...)
}

// decodeNode parses the stored node found at p.
func decodeNode(p pos, buf []byte) (node, error) {
	if len(buf) != nodeLen {
		return node{}, fmt.Errorf("%w: %d bytes at depth %d", ErrCorrupt, len(buf), p.depth)
	}
	var n node
	switch buf[0] {
	case tagLeaf:
		n.kind = kindLeaf
	case tagBranch:
		if p.depth >= maxDepth {
			return node{}, fmt.Errorf("%w: branch at depth %d", ErrCorrupt, p.depth)
		}
		n.kind = kindBranch
	default:
		return node{}, fmt.Errorf("%w: tag %#x at depth %d", ErrCorrupt, buf[0], p.depth)
	}
	copy(n.a[:], buf[1:33])
	copy(n.b[:], buf[33:])
	// Cheap checks that catch a node written to the wrong place or by
	// something else: a leaf must lie on its own key's path and be present,
	// a branch must have something under it.
	switch {
	case n.kind == kindLeaf && posOf(&n.a, int(p.depth)) != p:
		return node{}, fmt.Errorf("%w: leaf off its path at depth %d", ErrCorrupt, p.depth)
	case n.kind == kindLeaf && n.b == [32]byte{}:
		return node{}, fmt.Errorf("%w: zero leaf value at depth %d", ErrCorrupt, p.depth)
	case n.kind == kindBranch && n.a == [32]byte{} && n.b == [32]byte{}:
		return node{}, fmt.Errorf("%w: empty branch at depth %d", ErrCorrupt, p.depth)
	}
	return n, nil
}

// hash returns the node's subtree hash.
func (n *node) hash(h *hasher) [32]byte {
	switch n.kind {
	case kindLeaf:
		return h.sum(tagLeaf, &n.a, &n.b)
	case kindBranch:
		return h.sum(tagBranch, &n.a, &n.b)
	}
	return [32]byte{}
}
