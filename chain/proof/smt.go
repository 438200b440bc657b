package proof

import (
	"fmt"
	"math/bits"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

// MaxDepth is the deepest a key's path can end: a leaf whose sibling
// differs from it in the last bit only.
const MaxDepth = 256

// SMT is a compact sparse Merkle proof of one key: the hashes beside the
// key's path from the root down to the position where the path ends (a
// leaf or an empty subtree), the empty ones left out and marked in Bitmap.
// Its JSON and RLP forms are the protocol's, field for field.
type SMT struct {
	// Depth is the number of branches on the key's path: the depth of the
	// position where it ends, 0..256.
	Depth uint64 `json:"depth"`
	// Bitmap has ceil(Depth/8) bytes; bit i (numbered from the most
	// significant bit of byte 0) is 1 when the sibling at depth i+1, the
	// other child of the branch at depth i, is not empty. Bits past Depth
	// are 0.
	Bitmap hexutil.Bytes `json:"bitmap"`
	// Siblings are the non-empty siblings, root side first (depth 1 first).
	Siblings []common.Hash `json:"siblings"`
	// LeafKey and LeafValue are empty, or, when the path ends at a leaf of
	// another key (so the proven key is absent), that leaf's key and value.
	LeafKey   hexutil.Bytes `json:"leaf_key"`
	LeafValue hexutil.Bytes `json:"leaf_value"`
}

// Terminal says what a proof shows where the key's path ends.
type Terminal int

const (
	Empty     Terminal = iota // an empty subtree: the key is absent
	OtherLeaf                 // the leaf of another key: the key is absent
	KeyLeaf                   // the key's own leaf: present
)

// VerifySMT checks that p proves, under root, that key holds value (value
// zero: that key is absent). It returns how the proof ended. Only the
// canonical proof of a (root, key) pair verifies: the bitmap's length and
// padding are exact, and the sibling at the last depth is never empty (a
// branch with one empty side does not exist above a leaf or an empty
// subtree: the leaf would hang higher).
func VerifySMT(root, key, value common.Hash, p *SMT) (Terminal, error) {
	term, h, err := terminal(key, value, p)
	if err != nil {
		return 0, err
	}
	d := int(p.Depth)
	if want := (d + 7) / 8; len(p.Bitmap) != want {
		return 0, fmt.Errorf("%w: bitmap of %d bytes for depth %d", ErrInvalid, len(p.Bitmap), d)
	}
	n := 0
	for i, b := range p.Bitmap {
		if i*8+8 > d && b&(0xff>>uint(d-i*8)) != 0 {
			return 0, fmt.Errorf("%w: bitmap bits past depth %d", ErrInvalid, d)
		}
		n += bits.OnesCount8(b)
	}
	if n != len(p.Siblings) {
		return 0, fmt.Errorf("%w: bitmap marks %d siblings, proof has %d", ErrInvalid, n, len(p.Siblings))
	}
	if d > 0 && bit(p.Bitmap, d-1) == 0 {
		return 0, fmt.Errorf("%w: empty sibling at the last depth", ErrInvalid)
	}
	next := len(p.Siblings) - 1
	for i := d - 1; i >= 0; i-- {
		var sib common.Hash
		if bit(p.Bitmap, i) == 1 {
			sib, next = p.Siblings[next], next-1
		}
		if bit(key[:], i) == 0 {
			h = node(h, sib)
		} else {
			h = node(sib, h)
		}
	}
	if h != root {
		return 0, fmt.Errorf("%w: path leads to root %s, not %s", ErrInvalid, h, root)
	}
	return term, nil
}

// terminal checks the proof's end against what is claimed and returns the
// hash of the subtree there.
func terminal(key, value common.Hash, p *SMT) (Terminal, common.Hash, error) {
	if p.Depth > MaxDepth {
		return 0, common.Hash{}, fmt.Errorf("%w: depth %d", ErrInvalid, p.Depth)
	}
	if value != (common.Hash{}) {
		if len(p.LeafKey) != 0 || len(p.LeafValue) != 0 {
			return 0, common.Hash{}, fmt.Errorf("%w: a presence proof shows another leaf", ErrInvalid)
		}
		return KeyLeaf, smtLeaf(key, value), nil
	}
	if len(p.LeafKey) == 0 && len(p.LeafValue) == 0 {
		return Empty, common.Hash{}, nil
	}
	if len(p.LeafKey) != 32 || len(p.LeafValue) != 32 {
		return 0, common.Hash{}, fmt.Errorf("%w: leaf of %d and %d bytes", ErrInvalid, len(p.LeafKey), len(p.LeafValue))
	}
	k, v := common.BytesToHash(p.LeafKey), common.BytesToHash(p.LeafValue)
	switch {
	case k == key:
		return 0, common.Hash{}, fmt.Errorf("%w: an absence proof ends at the key's own leaf", ErrInvalid)
	case v == common.Hash{}:
		return 0, common.Hash{}, fmt.Errorf("%w: leaf with a zero value", ErrInvalid)
	case commonPrefix(k, key) < int(p.Depth):
		return 0, common.Hash{}, fmt.Errorf("%w: the leaf is off the key's path", ErrInvalid)
	}
	return OtherLeaf, smtLeaf(k, v), nil
}
