package smt_test

import (
	"bytes"
	"encoding/binary"
	"os"
	"sort"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/tinychain/tinychain/chain/smt"
	"github.com/tinychain/tinychain/chain/store"
)

// The prefix the tests store nodes under, as the chain would.
var testPrefix = []byte("s")

// tb is what the helpers need from *testing.T, *testing.B and *rapid.T.
type tb interface {
	Helper()
	Fatalf(format string, args ...any)
}

// mustOpenDB opens a fresh on-disk LevelDB in a directory under dir and
// returns it with a function that closes and removes it.
func mustOpenDB(t tb, dir string) (*store.DB, func()) {
	t.Helper()
	path, err := os.MkdirTemp(dir, "db")
	if err != nil {
		t.Fatalf("temp dir: %v", err)
	}
	db, err := store.Open(path)
	if err != nil {
		t.Fatalf("open leveldb: %v", err)
	}
	return db, func() {
		db.Close()
		os.RemoveAll(path)
	}
}

// mustApply opens a Tree on db, applies the updates in order, commits and
// writes the batch, and returns the root.
func mustApply(t tb, db *store.DB, updates []kv) [32]byte {
	t.Helper()
	tr := smt.Open(db, testPrefix)
	for _, u := range updates {
		if err := tr.Update(u.k, u.v); err != nil {
			t.Fatalf("update: %v", err)
		}
	}
	return mustCommit(t, db, tr)
}

// mustCommit commits tr into a batch, writes it to db and returns the root.
func mustCommit(t tb, db *store.DB, tr *smt.Tree) [32]byte {
	t.Helper()
	b := new(store.Batch)
	root, err := tr.Commit(b)
	if err != nil {
		t.Fatalf("commit: %v", err)
	}
	if err := db.Write(b, false); err != nil {
		t.Fatalf("write batch: %v", err)
	}
	return root
}

// dump returns every key and value stored under testPrefix.
func dump(t tb, db *store.DB) map[string]string {
	t.Helper()
	out := make(map[string]string)
	it := db.Iterator(testPrefix, nil)
	defer it.Release()
	for it.Next() {
		out[string(it.Key())] = string(it.Value())
	}
	if err := it.Error(); err != nil {
		t.Fatalf("iterate: %v", err)
	}
	return out
}

type kv struct{ k, v [32]byte }

// sorted returns m's pairs with non-zero values, in key order, so that a
// model map can be loaded into a fresh tree or the reference.
func sorted(m map[[32]byte][32]byte) []kv {
	var out []kv
	for k, v := range m {
		if v != ([32]byte{}) {
			out = append(out, kv{k, v})
		}
	}
	sort.Slice(out, func(i, j int) bool { return bytes.Compare(out[i].k[:], out[j].k[:]) < 0 })
	return out
}

// The reference below restates the definition in doc.go directly, with its
// own hashing and encoding, so the tests do not trust the code they check.

func keyBit(k [32]byte, i int) int { return int(k[i/8]>>(7-i%8)) & 1 }

func split(kvs []kv, depth int) (left, right []kv) {
	for _, p := range kvs {
		if keyBit(p.k, depth) == 0 {
			left = append(left, p)
		} else {
			right = append(right, p)
		}
	}
	return left, right
}

// refRoot is H(S) for the pairs kvs under a subtree at depth.
func refRoot(kvs []kv, depth int) [32]byte {
	switch len(kvs) {
	case 0:
		return [32]byte{}
	case 1:
		return crypto.Keccak256Hash([]byte{0}, kvs[0].k[:], kvs[0].v[:])
	}
	l, r := split(kvs, depth)
	lh, rh := refRoot(l, depth+1), refRoot(r, depth+1)
	return crypto.Keccak256Hash([]byte{1}, lh[:], rh[:])
}

// refLayout returns the DB contents the doc prescribes for the pairs kvs.
func refLayout(kvs []kv) map[string]string {
	out := make(map[string]string)
	var walk func(kvs []kv, depth int, path [32]byte)
	walk = func(kvs []kv, depth int, path [32]byte) {
		key := append(append([]byte{}, testPrefix...), path[:(depth+7)/8]...)
		key = binary.BigEndian.AppendUint16(key, uint16(depth))
		switch len(kvs) {
		case 0:
			return
		case 1:
			out[string(key)] = string(append(append([]byte{0}, kvs[0].k[:]...), kvs[0].v[:]...))
			return
		}
		l, r := split(kvs, depth)
		lh, rh := refRoot(l, depth+1), refRoot(r, depth+1)
		out[string(key)] = string(append(append([]byte{1}, lh[:]...), rh[:]...))
		walk(l, depth+1, path)
		path[depth/8] |= 0x80 >> (depth % 8)
		walk(r, depth+1, path)
	}
	walk(kvs, 0, [32]byte{})
	return out
}

// flip returns k with bit i inverted.
func flip(k [32]byte, i int) [32]byte {
	k[i/8] ^= 0x80 >> (i % 8)
	return k
}

// h32 returns Keccak256(s) as a key or value.
func h32(s string) [32]byte { return crypto.Keccak256Hash([]byte(s)) }
