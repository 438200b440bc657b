package smt_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/tinychain/tinychain/chain/smt"
)

// countingReader counts the node reads a Tree makes.
type countingReader struct {
	smt.Reader
	n int
}

func (r *countingReader) Get(key []byte) ([]byte, bool, error) {
	r.n++
	return r.Reader.Get(key)
}

// TestPathCost checks that the work per key grows with log2 of the number
// of leaves: a lookup reads about log2(n) nodes (a random binary trie's
// mean depth is log2(n) + 1.33), and an update reads no more than its path
// plus the siblings a delete may hoist.
func TestPathCost(t *testing.T) {
	db, done := mustOpenDB(t, t.TempDir())
	defer done()
	const n = 1 << 12
	var pairs []kv
	for i := range n {
		pairs = append(pairs, kv{h32(fmt.Sprint(i)), h32("v")})
	}
	mustApply(t, db, pairs)

	r := &countingReader{Reader: db}
	const lookups = 500
	for i := range lookups {
		tr := smt.Open(r, testPrefix) // a fresh cache for every lookup
		if _, err := tr.Get(pairs[i*7].k); err != nil {
			t.Fatal(err)
		}
	}
	mean := float64(r.n) / lookups
	if limit := math.Log2(n) + 3; mean > limit {
		t.Fatalf("mean reads per Get = %.1f, want <= %.1f", mean, limit)
	}
	t.Logf("n=%d: %.1f reads per Get (log2 n = %.0f)", n, mean, math.Log2(n))

	r.n = 0
	tr := smt.Open(r, testPrefix)
	for i := range lookups {
		if err := tr.Update(pairs[i*7].k, [32]byte{}); err != nil {
			t.Fatal(err)
		}
	}
	perUpdate := float64(r.n) / lookups
	if limit := math.Log2(n) + 5; perUpdate > limit {
		t.Fatalf("mean reads per delete = %.1f, want <= %.1f", perUpdate, limit)
	}
	t.Logf("n=%d: %.1f reads per delete in one block", n, perUpdate)
}
