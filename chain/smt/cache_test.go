package smt_test

import (
	"testing"

	"pgregory.net/rapid"

	"github.com/tinychain/tinychain/chain/smt"
	"github.com/tinychain/tinychain/chain/store"
)

// TestCacheFollowsCommits: blocks committed through a Cache, some of them
// thrown away after Commit (their batch never written, as for a block
// that fails its state root) and some rolled back later, read and commit
// exactly as Trees without one: the same roots and the stored nodes the
// reference prescribes, and the Cache never holds more than its limit
// after a Written.
func TestCacheFollowsCommits(t *testing.T) {
	dir := t.TempDir()
	rapid.Check(t, func(t *rapid.T) {
		db, done := mustOpenDB(t, dir)
		defer done()
		limit := rapid.IntRange(0, 300).Draw(t, "limit")
		cache := smt.NewCache(limit)
		model := make(map[[32]byte][32]byte)
		for range rapid.IntRange(1, 8).Draw(t, "blocks") {
			tr := smt.OpenCached(db, testPrefix, cache)
			next := make(map[[32]byte][32]byte)
			for k, v := range model {
				next[k] = v
			}
			for _, u := range genUpdates(25).Draw(t, "updates") {
				if err := tr.Update(u.k, u.v); err != nil {
					t.Fatalf("update: %v", err)
				}
				next[u.k] = u.v
			}
			b := new(store.Batch)
			root, err := tr.Commit(b)
			if err != nil {
				t.Fatalf("commit: %v", err)
			}
			if want := refRoot(sorted(next), 0); root != want {
				t.Fatalf("root %x, reference %x", root, want)
			}
			if rapid.Bool().Draw(t, "discard") {
				continue // never written: the Cache must not keep it
			}
			if err := db.Write(b, false); err != nil {
				t.Fatalf("write: %v", err)
			}
			cache.Written()
			model = next
			checkAgainstReference(t, db, root, model)
			if cache.Len() > limit {
				t.Fatalf("cache holds %d positions, limit %d", cache.Len(), limit)
			}
		}
		// A cached and an uncached Tree agree on every key and the root.
		cached, plain := smt.OpenCached(db, testPrefix, cache), smt.Open(db, testPrefix)
		for k := range model {
			a, err1 := cached.Get(k)
			b, err2 := plain.Get(k)
			if a != b || err1 != nil || err2 != nil {
				t.Fatalf("Get(%x): cached %x %v, plain %x %v", k, a, err1, b, err2)
			}
		}
		r1, _ := cached.Root()
		r2, _ := plain.Root()
		if r1 != r2 {
			t.Fatalf("root: cached %x, plain %x", r1, r2)
		}
	})
}
