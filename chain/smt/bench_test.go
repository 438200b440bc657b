package smt_test

import (
	"math/rand/v2"
	"testing"

	"github.com/tinychain/tinychain/chain/smt"
	"github.com/tinychain/tinychain/chain/store"
)

const (
	benchLeaves = 100_000
	benchBlock  = 2_000
)

func randHash(rng *rand.Rand) (h [32]byte) {
	for i := 0; i < 32; i += 8 {
		v := rng.Uint64()
		for j := range 8 {
			h[i+j] = byte(v >> (8 * j))
		}
	}
	return h
}

// benchTree builds a committed tree of benchLeaves random keys and returns
// the DB and the keys.
func benchTree(b *testing.B, rng *rand.Rand) (*store.DB, [][32]byte) {
	db, done := mustOpenDB(b, b.TempDir())
	b.Cleanup(done)
	keys := make([][32]byte, benchLeaves)
	updates := make([]kv, benchLeaves)
	for i := range keys {
		keys[i] = randHash(rng)
		updates[i] = kv{keys[i], randHash(rng)}
	}
	mustApply(b, db, updates)
	// Start from settled tables, as a node that has been running would,
	// rather than from one big unflushed write.
	if err := db.Compact(); err != nil {
		b.Fatalf("compact: %v", err)
	}
	return db, keys
}

// BenchmarkCommit measures blocks of benchBlock updates on a tree of
// benchLeaves leaves: 80% change an existing account, 15% create one, 5%
// delete one. One op is one block: Open, updates, Commit and the batch
// write.
func BenchmarkCommit(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	db, keys := benchTree(b, rng)
	updates := make([]kv, benchBlock)
	blocks := 0
	for b.Loop() {
		b.StopTimer()
		for i := range updates {
			k := keys[rng.IntN(len(keys))]
			switch r := rng.IntN(100); {
			case r < 80:
				updates[i] = kv{k, randHash(rng)}
			case r < 95:
				k = randHash(rng)
				keys = append(keys, k)
				updates[i] = kv{k, randHash(rng)}
			default:
				updates[i] = kv{k, [32]byte{}}
			}
		}
		b.StartTimer()
		mustApply(b, db, updates)
		blocks++
	}
	b.ReportMetric(float64(blocks*benchBlock)/b.Elapsed().Seconds(), "updates/s")
}

// BenchmarkGet measures lookups of existing keys on a tree of benchLeaves
// leaves, with a fresh Tree (cold node cache) every benchBlock lookups as a
// block would have.
func BenchmarkGet(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	db, keys := benchTree(b, rng)
	tr := smt.Open(db, testPrefix)
	i := 0
	for b.Loop() {
		if i%benchBlock == 0 {
			tr = smt.Open(db, testPrefix)
		}
		if v, err := tr.Get(keys[rng.IntN(len(keys))]); err != nil || v == ([32]byte{}) {
			b.Fatalf("Get = %x, %v", v, err)
		}
		i++
	}
}
