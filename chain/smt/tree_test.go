package smt_test

import (
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/tinychain/tinychain/chain/smt"
	"github.com/tinychain/tinychain/chain/store"
)

var (
	_ smt.Reader = (*store.DB)(nil)
	_ smt.Reader = (*store.Snapshot)(nil)
	_ smt.Writer = (*store.Batch)(nil)
)

func TestEmptyRoot(t *testing.T) {
	db, done := mustOpenDB(t, t.TempDir())
	defer done()
	tr := smt.Open(db, testPrefix)
	root, err := tr.Root()
	if err != nil || root != ([32]byte{}) {
		t.Fatalf("empty root = %x, %v; want zero", root, err)
	}
	if got := mustCommit(t, db, tr); got != ([32]byte{}) {
		t.Fatalf("empty commit root = %x", got)
	}
	if n := len(dump(t, db)); n != 0 {
		t.Fatalf("empty commit stored %d nodes", n)
	}
}

func TestSingleLeafRoot(t *testing.T) {
	db, done := mustOpenDB(t, t.TempDir())
	defer done()
	k, v := h32("k"), h32("v")
	root := mustApply(t, db, []kv{{k, v}})
	want := crypto.Keccak256Hash([]byte{0}, k[:], v[:])
	if root != want || smt.LeafHash(k, v) != want {
		t.Fatalf("single leaf root = %x, LeafHash = %x; want %x", root, smt.LeafHash(k, v), want)
	}
	// Delete it again: back to the empty tree and an empty DB.
	if root := mustApply(t, db, []kv{{k, [32]byte{}}}); root != ([32]byte{}) {
		t.Fatalf("root after deleting the only key = %x", root)
	}
	if n := len(dump(t, db)); n != 0 {
		t.Fatalf("%d nodes left after deleting the only key", n)
	}
}

func TestTwoLeavesByHand(t *testing.T) {
	db, done := mustOpenDB(t, t.TempDir())
	defer done()
	var a, b [32]byte // a = 0x00..., b = 0x80...: they split at the root
	b[0] = 0x80
	va, vb := h32("a"), h32("b")
	root := mustApply(t, db, []kv{{b, vb}, {a, va}})
	want := smt.BranchHash(smt.LeafHash(a, va), smt.LeafHash(b, vb))
	if root != want {
		t.Fatalf("root = %x, want %x", root, want)
	}
}

// goldenSets pins roots for small fixed sets so that a change to the hash
// definition, the bit order or the hoisting rule is caught. Keys are
// Keccak256 of the strings, values Keccak256 of "v"+string. The roots were
// reproduced by a separate implementation (pure-Python Keccak-256 and the
// three-line definition in doc.go), not only by this package.
var goldenSets = []struct {
	keys []string
	root string
}{
	{nil, "0000000000000000000000000000000000000000000000000000000000000000"},
	{[]string{"alice"}, "137c3a1e217985c8fe82365f718a04f15f20acd51845d991be6aad0a893a32ad"},
	{[]string{"alice", "bob"}, "d49dfd3681ee7799e0a9ed5a10bef8a58fdcc58aa87fa959327cc8c632933d73"},
	{[]string{"alice", "bob", "carol"}, "33e105d035248fffa111ef56db14b0205427e36213537529f4b22b51ea4ffd8e"},
	{[]string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}, "6084888902f271deb3e63f6e89de5ef0a792655bb7d08444ddc36d6f82a833fa"},
}

func goldenPairs(keys []string) []kv {
	var out []kv
	for _, s := range keys {
		out = append(out, kv{h32(s), h32("v" + s)})
	}
	return out
}

func TestGoldenRoots(t *testing.T) {
	for _, g := range goldenSets {
		t.Run(fmt.Sprint(len(g.keys)), func(t *testing.T) {
			db, done := mustOpenDB(t, t.TempDir())
			defer done()
			pairs := goldenPairs(g.keys)
			root := mustApply(t, db, pairs)
			if got := hex.EncodeToString(root[:]); got != g.root {
				t.Errorf("root = %s, want %s", got, g.root)
			}
			m := make(map[[32]byte][32]byte)
			for _, p := range pairs {
				m[p.k] = p.v
			}
			if ref := refRoot(sorted(m), 0); ref != root {
				t.Errorf("root = %x, reference = %x", root, ref)
			}
		})
	}
}

// TestEdgeKeys covers keys that differ only in the last bit (a run of 255
// one-sided branches), keys sharing exactly 255 bits with a third key
// beside them, and their deletion back to a single hoisted leaf.
func TestEdgeKeys(t *testing.T) {
	base := h32("base")
	cases := map[string][]kv{
		"last bit":        {{base, h32("1")}, {flip(base, 255), h32("2")}},
		"first bit":       {{base, h32("1")}, {flip(base, 0), h32("2")}},
		"255 and 254":     {{base, h32("1")}, {flip(base, 255), h32("2")}, {flip(base, 254), h32("3")}},
		"byte boundaries": {{base, h32("1")}, {flip(base, 7), h32("2")}, {flip(base, 8), h32("3")}, {flip(base, 248), h32("4")}},
		"zero and ones":   {{[32]byte{}, h32("1")}, {flip([32]byte{}, 255), h32("2")}, {flip([32]byte{}, 0), h32("3")}},
	}
	for name, pairs := range cases {
		t.Run(name, func(t *testing.T) {
			db, done := mustOpenDB(t, t.TempDir())
			defer done()
			model := make(map[[32]byte][32]byte)
			for _, p := range pairs {
				model[p.k] = p.v
			}
			checkAgainstReference(t, db, mustApply(t, db, pairs), model)
			tr := smt.Open(db, testPrefix)
			for _, p := range pairs {
				if got, err := tr.Get(p.k); err != nil || got != p.v {
					t.Fatalf("Get(%x) = %x, %v; want %x", p.k, got, err, p.v)
				}
			}
			// Delete all but the last, one block each, checking the
			// collapse at every step.
			for _, p := range pairs[:len(pairs)-1] {
				delete(model, p.k)
				checkAgainstReference(t, db, mustApply(t, db, []kv{{p.k, [32]byte{}}}), model)
			}
		})
	}
}

func TestLastBitChainHash(t *testing.T) {
	db, done := mustOpenDB(t, t.TempDir())
	defer done()
	a := h32("a")
	b := flip(a, 255)
	va, vb := h32("va"), h32("vb")
	root := mustApply(t, db, []kv{{a, va}, {b, vb}})
	// Hash by hand: one branch at depth 255, then 255 one-sided levels.
	la, lb := smt.LeafHash(a, va), smt.LeafHash(b, vb)
	h := smt.BranchHash(la, lb)
	if a[31]&1 == 1 {
		h = smt.BranchHash(lb, la)
	}
	for d := 254; d >= 0; d-- {
		if a[d/8]>>(7-d%8)&1 == 0 {
			h = smt.BranchHash(h, [32]byte{})
		} else {
			h = smt.BranchHash([32]byte{}, h)
		}
	}
	if root != h {
		t.Fatalf("root = %x, want %x", root, h)
	}
	if n := len(dump(t, db)); n != 256+2 {
		t.Fatalf("stored %d nodes, want 256 branches and 2 leaves", n)
	}
}

func TestNoOpUpdates(t *testing.T) {
	db, done := mustOpenDB(t, t.TempDir())
	defer done()
	pairs := goldenPairs([]string{"a", "b", "c", "d"})
	root := mustApply(t, db, pairs)
	before := dump(t, db)

	tr := smt.Open(db, testPrefix)
	absent := flip(pairs[0].k, 255) // shares 255 bits with a present key
	for _, u := range []kv{
		{h32("absent"), [32]byte{}}, // delete of an absent key
		{absent, [32]byte{}},        // delete of an absent neighbour
		{pairs[1].k, pairs[1].v},    // update to the same value
	} {
		if err := tr.Update(u.k, u.v); err != nil {
			t.Fatal(err)
		}
	}
	b := new(store.Batch)
	got, err := tr.Commit(b)
	if err != nil || got != root {
		t.Fatalf("root = %x, %v; want %x", got, err, root)
	}
	if b.Len() != 0 {
		t.Fatalf("no-op block wrote %d records", b.Len())
	}
	if !maps.Equal(before, dump(t, db)) {
		t.Fatal("DB changed")
	}
}

func TestCommittedTreeRefusesUpdates(t *testing.T) {
	db, done := mustOpenDB(t, t.TempDir())
	defer done()
	tr := smt.Open(db, testPrefix)
	k, v := h32("k"), h32("v")
	if err := tr.Update(k, v); err != nil {
		t.Fatal(err)
	}
	root := mustCommit(t, db, tr)
	if err := tr.Update(k, h32("w")); !errors.Is(err, smt.ErrCommitted) {
		t.Fatalf("Update after Commit: %v", err)
	}
	if _, err := tr.Commit(new(store.Batch)); !errors.Is(err, smt.ErrCommitted) {
		t.Fatalf("Commit after Commit: %v", err)
	}
	if got, err := tr.Root(); err != nil || got != root {
		t.Fatalf("Root after Commit = %x, %v; want %x", got, err, root)
	}
	if got, err := tr.Get(k); err != nil || got != v {
		t.Fatalf("Get after Commit = %x, %v", got, err)
	}
}

func TestCorruptNode(t *testing.T) {
	db, done := mustOpenDB(t, t.TempDir())
	defer done()
	root := append(append([]byte{}, testPrefix...), 0, 0) // depth 0: no path bytes
	for name, val := range map[string][]byte{
		"short":       {0},
		"bad tag":     append([]byte{7}, make([]byte, 64)...),
		"empty leaf":  make([]byte, 65),
		"zero branch": append([]byte{1}, make([]byte, 64)...),
	} {
		if err := db.Put(root, val); err != nil {
			t.Fatal(err)
		}
		tr := smt.Open(db, testPrefix)
		if _, err := tr.Get(h32("k")); !errors.Is(err, smt.ErrCorrupt) {
			t.Errorf("%s: Get = %v, want ErrCorrupt", name, err)
		}
		if err := tr.Update(h32("k"), h32("v")); !errors.Is(err, smt.ErrCorrupt) {
			t.Errorf("%s: Update = %v, want ErrCorrupt", name, err)
		}
	}
}

// TestSnapshotReader checks that a Tree reads through a snapshot and that
// prefixes keep two trees in one DB apart.
func TestSnapshotReader(t *testing.T) {
	db, done := mustOpenDB(t, t.TempDir())
	defer done()
	pairs := goldenPairs([]string{"a", "b", "c"})
	root := mustApply(t, db, pairs)

	other := smt.Open(db, []byte("o"))
	if err := other.Update(h32("x"), h32("y")); err != nil {
		t.Fatal(err)
	}
	mustCommit(t, db, other)

	snap, err := db.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Release()
	tr := smt.Open(snap, testPrefix)
	if got, err := tr.Root(); err != nil || got != root {
		t.Fatalf("root through snapshot = %x, %v; want %x", got, err, root)
	}
	if got, err := tr.Get(pairs[2].k); err != nil || got != pairs[2].v {
		t.Fatalf("Get through snapshot = %x, %v", got, err)
	}
}

// checkAgainstReference compares root and the stored nodes with what the
// definition prescribes for model.
func checkAgainstReference(t tb, db *store.DB, root [32]byte, model map[[32]byte][32]byte) {
	t.Helper()
	pairs := sorted(model)
	if want := refRoot(pairs, 0); root != want {
		t.Fatalf("root = %x, reference %x", root, want)
	}
	got, want := dump(t, db), refLayout(pairs)
	if !maps.Equal(got, want) {
		t.Fatalf("stored nodes differ from the reference: %d stored, %d expected", len(got), len(want))
	}
}
