package smt_test

import (
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/tinychain/tinychain/chain/proof"
	"github.com/tinychain/tinychain/chain/smt"
)

// BenchmarkProve measures proofs of existing keys on committed trees of
// 10^5 and 10^6 random keys (built in blocks of 20,000, then compacted),
// each from a fresh Tree as a proof request has: the time of Prove, and
// the proof's size (RLP) and sibling count on average. The proofs are
// checked by package proof outside the timer. cpu-ns/prove is the process's
// CPU time (user+sys, getrusage) spent in Prove calls only: on a loaded
// machine ns/op (wall time) also counts waiting for a core.
func BenchmarkProve(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(5, uint64(n)))
			db, done := mustOpenDB(b, b.TempDir())
			b.Cleanup(done)
			keys := make([][32]byte, 0, n)
			vals := map[[32]byte][32]byte{}
			for len(keys) < n {
				updates := make([]kv, min(20_000, n-len(keys)))
				for i := range updates {
					k, v := randHash(rng), randHash(rng)
					updates[i] = kv{k, v}
					keys = append(keys, k)
					vals[k] = v
				}
				mustApply(b, db, updates)
			}
			if err := db.Compact(); err != nil {
				b.Fatal(err)
			}
			root, err := smt.Open(db, testPrefix).Root()
			if err != nil {
				b.Fatal(err)
			}
			var bytes, sibs, proofs int
			var cpu time.Duration
			for b.Loop() {
				k := keys[rng.IntN(len(keys))]
				c0 := cpuTime(b)
				p, err := smt.Open(db, testPrefix).Prove(k)
				if err != nil {
					b.Fatal(err)
				}
				cpu += cpuTime(b) - c0
				b.StopTimer()
				if _, err := proof.VerifySMT(root, k, vals[k], p); err != nil {
					b.Fatal(err)
				}
				enc, _ := rlp.EncodeToBytes(p)
				bytes, sibs, proofs = bytes+len(enc), sibs+len(p.Siblings), proofs+1
				b.StartTimer()
			}
			b.ReportMetric(float64(bytes)/float64(proofs), "proof-bytes")
			b.ReportMetric(float64(sibs)/float64(proofs), "siblings")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(proofs), "cpu-ns/prove")
		})
	}
}

// BenchmarkVerify measures package proof's check of one proof on a tree
// of 10^5 keys.
func BenchmarkVerify(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 8))
	tr := smt.Open(noneDB{}, testPrefix)
	var k, v [32]byte
	for range 100_000 {
		k, v = randHash(rng), randHash(rng)
		if err := tr.Update(k, v); err != nil {
			b.Fatal(err)
		}
	}
	root, _ := tr.Root()
	p, err := tr.Prove(k)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := proof.VerifySMT(common.Hash(root), k, v, p); err != nil {
			b.Fatal(err)
		}
	}
}

// cpuTime is the process's CPU time so far (user+sys).
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// noneDB is an empty committed tree.
type noneDB struct{}

func (noneDB) Get([]byte) ([]byte, bool, error) { return nil, false, nil }
