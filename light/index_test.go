package light

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

// TestIndexPrefixCollision: two hashes with the same first 8 bytes are
// both found, each as itself, and a third with that prefix is not.
func TestIndexPrefixCollision(t *testing.T) {
	x := newIndex()
	a, b, c := common.Hash{1, 2, 3, 31: 1}, common.Hash{1, 2, 3, 31: 2}, common.Hash{1, 2, 3, 31: 3}
	na, nb := &node{hash: a}, &node{hash: b}
	x.put(na)
	x.put(nb)
	if x.get(a) != na || x.get(b) != nb || x.get(c) != nil || x.len() != 2 {
		t.Fatalf("get a %p (want %p), b %p (want %p), c %p, len %d", x.get(a), na, x.get(b), nb, x.get(c), x.len())
	}
}
