package smt_test

import (
	"maps"
	"testing"

	"pgregory.net/rapid"

	"github.com/tinychain/tinychain/chain/smt"
	"github.com/tinychain/tinychain/chain/store"
)

// genKey draws keys that often share long prefixes: a few fixed bases with
// a few bits flipped, biased towards the first and last bits and byte
// boundaries, plus the odd unrelated key.
func genKey() *rapid.Generator[[32]byte] {
	bases := [][32]byte{h32("base0"), h32("base1"), {}}
	edge := rapid.SampledFrom([]int{0, 1, 7, 8, 9, 127, 128, 247, 248, 253, 254, 255})
	bitIdx := rapid.OneOf(edge, rapid.IntRange(0, 255))
	return rapid.Custom(func(t *rapid.T) [32]byte {
		if rapid.IntRange(0, 9).Draw(t, "fresh") == 0 {
			return h32(rapid.StringN(1, 4, 4).Draw(t, "seed"))
		}
		k := rapid.SampledFrom(bases).Draw(t, "base")
		for n := rapid.IntRange(0, 3).Draw(t, "flips"); n > 0; n-- {
			k = flip(k, bitIdx.Draw(t, "bit"))
		}
		return k
	})
}

// genValue draws from few values, zero (delete) among them, so updates to
// the same value and deletes come up often.
func genValue() *rapid.Generator[[32]byte] {
	return rapid.SampledFrom([][32]byte{{}, h32("v1"), h32("v2"), h32("v3")})
}

func genUpdates(maxLen int) *rapid.Generator[[]kv] {
	return rapid.SliceOfN(rapid.Custom(func(t *rapid.T) kv {
		return kv{genKey().Draw(t, "key"), genValue().Draw(t, "value")}
	}), 0, maxLen)
}

// TestRandomBatchesMatchFreshTree: any history of committed blocks leaves
// the same root and the same stored nodes as building the final set in one
// block, and both match the reference. Get and mid-block Root track the
// model throughout.
func TestRandomBatchesMatchFreshTree(t *testing.T) {
	dir := t.TempDir()
	rapid.Check(t, func(t *rapid.T) {
		db, done := mustOpenDB(t, dir)
		defer done()
		model := make(map[[32]byte][32]byte)
		for range rapid.IntRange(1, 6).Draw(t, "blocks") {
			tr := smt.Open(db, testPrefix)
			for _, u := range genUpdates(25).Draw(t, "updates") {
				if err := tr.Update(u.k, u.v); err != nil {
					t.Fatalf("update: %v", err)
				}
				model[u.k] = u.v
				if got, err := tr.Get(u.k); err != nil || got != u.v {
					t.Fatalf("Get after Update = %x, %v; want %x", got, err, u.v)
				}
				if rapid.Bool().Draw(t, "root now") {
					root, err := tr.Root()
					if err != nil {
						t.Fatalf("root: %v", err)
					}
					if want := refRoot(sorted(model), 0); root != want {
						t.Fatalf("mid-block root = %x, reference %x", root, want)
					}
				}
			}
			checkAgainstReference(t, db, mustCommit(t, db, tr), model)
		}

		fresh, doneFresh := mustOpenDB(t, dir)
		defer doneFresh()
		root := mustApply(t, fresh, sorted(model))
		if got, _ := smt.Open(db, testPrefix).Root(); got != root {
			t.Fatalf("root after history %x, fresh %x", got, root)
		}
		if !maps.Equal(dump(t, db), dump(t, fresh)) {
			t.Fatal("stored nodes differ from a fresh build")
		}

		// Every key ever touched reads back from a new Tree.
		tr := smt.Open(db, testPrefix)
		for k, v := range model {
			if got, err := tr.Get(k); err != nil || got != v {
				t.Fatalf("Get(%x) = %x, %v; want %x", k, got, err, v)
			}
		}
	})
}

// TestRollbackRestoresState: applying a block and then the old values of
// the keys it changed (the chain's undo data) restores the root and the DB
// byte for byte, whichever order the undo entries are applied in.
func TestRollbackRestoresState(t *testing.T) {
	dir := t.TempDir()
	rapid.Check(t, func(t *rapid.T) {
		db, done := mustOpenDB(t, dir)
		defer done()
		root0 := mustApply(t, db, genUpdates(40).Draw(t, "initial"))
		before := dump(t, db)

		tr := smt.Open(db, testPrefix)
		old := make(map[[32]byte][32]byte)
		var undo []kv
		for _, u := range genUpdates(25).Draw(t, "block") {
			if _, seen := old[u.k]; !seen {
				v, err := tr.Get(u.k)
				if err != nil {
					t.Fatalf("get: %v", err)
				}
				old[u.k] = v
				undo = append(undo, kv{u.k, v})
			}
			if err := tr.Update(u.k, u.v); err != nil {
				t.Fatalf("update: %v", err)
			}
		}
		mustCommit(t, db, tr)

		undo = rapid.Permutation(undo).Draw(t, "undo order")
		if root := mustApply(t, db, undo); root != root0 {
			t.Fatalf("root after rollback %x, before %x", root, root0)
		}
		if !maps.Equal(dump(t, db), before) {
			t.Fatal("stored nodes after rollback differ from before")
		}
	})
}

// TestUndoWithinBlockWritesNothing: a block that changes keys and puts them
// back before committing leaves every node as it was, so Commit writes no
// record at all.
func TestUndoWithinBlockWritesNothing(t *testing.T) {
	dir := t.TempDir()
	rapid.Check(t, func(t *rapid.T) {
		db, done := mustOpenDB(t, dir)
		defer done()
		root0 := mustApply(t, db, genUpdates(40).Draw(t, "initial"))

		tr := smt.Open(db, testPrefix)
		old := make(map[[32]byte][32]byte)
		for _, u := range genUpdates(25).Draw(t, "block") {
			if _, seen := old[u.k]; !seen {
				v, err := tr.Get(u.k)
				if err != nil {
					t.Fatalf("get: %v", err)
				}
				old[u.k] = v
			}
			if err := tr.Update(u.k, u.v); err != nil {
				t.Fatalf("update: %v", err)
			}
		}
		for k, v := range old {
			if err := tr.Update(k, v); err != nil {
				t.Fatalf("undo: %v", err)
			}
		}
		b := new(store.Batch)
		root, err := tr.Commit(b)
		if err != nil || root != root0 {
			t.Fatalf("root = %x, %v; want %x", root, err, root0)
		}
		if b.Len() != 0 {
			t.Fatalf("undone block wrote %d records", b.Len())
		}
	})
}
