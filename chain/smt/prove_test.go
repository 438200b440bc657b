package smt_test

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/tinychain/tinychain/chain/proof"
	"github.com/tinychain/tinychain/chain/smt"
)

// TestProveCommitted: proofs read from the stored nodes of a committed
// tree (not a Tree's pending updates) verify, before and after a block
// that changes and deletes keys.
func TestProveCommitted(t *testing.T) {
	db, done := mustOpenDB(t, t.TempDir())
	defer done()
	model := map[[32]byte][32]byte{}
	var ups []kv
	for i := range 300 {
		k, v := h32(string(rune(i))+"k"), h32(string(rune(i))+"v")
		ups = append(ups, kv{k, v})
		model[k] = v
	}
	check := func(root [32]byte) {
		t.Helper()
		for _, u := range ups {
			p, err := smt.Open(db, testPrefix).Prove(u.k)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := proof.VerifySMT(common.Hash(root), u.k, model[u.k], p); err != nil {
				t.Fatalf("key %x: %v", u.k, err)
			}
		}
	}
	check(mustApply(t, db, ups))
	var block []kv
	for i, u := range ups[:100] {
		v := [32]byte{}
		if i%2 == 0 {
			v = h32("new")
		}
		block = append(block, kv{u.k, v})
		model[u.k] = v
	}
	check(mustApply(t, db, block))
}
