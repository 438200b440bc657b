package smt

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/tinychain/tinychain/chain/proof"
)

// Prove returns the compact proof of key in the tree, with its pending
// updates (call Root first if there are any, so that branch hashes are
// current): the siblings along key's path down to where it ends, a leaf or
// an empty position, in the form package proof verifies. It reads the
// nodes on the path, at most 257, and hashes nothing: a branch holds its
// children's hashes.
func (t *Tree) Prove(key [32]byte) (*proof.SMT, error) {
	if len(t.stale) > 0 {
		if _, err := t.Root(); err != nil {
			return nil, err
		}
	}
	path, end, err := t.walk(&key)
	if err != nil {
		return nil, err
	}
	d := len(path)
	p := &proof.SMT{Depth: uint64(d), Bitmap: make([]byte, (d+7)/8)}
	for i, e := range path {
		sib := e.cur.b // the other side of the branch at depth i from key's
		if bitAt(&key, i) == 1 {
			sib = e.cur.a
		}
		if sib != ([32]byte{}) {
			p.Bitmap[i/8] |= 0x80 >> uint(i%8)
			p.Siblings = append(p.Siblings, common.Hash(sib))
		}
	}
	if end.cur.kind == kindLeaf && end.cur.a != key {
		p.LeafKey = append([]byte(nil), end.cur.a[:]...)
		p.LeafValue = append([]byte(nil), end.cur.b[:]...)
	}
	return p, nil
}

// bitAt returns bit i of key (0 is the most significant bit of key[0]).
func bitAt(key *[32]byte, i int) byte { return (key[i/8] >> (7 - uint(i%8))) & 1 }
