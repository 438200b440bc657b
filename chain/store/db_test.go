package store_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tinychain/tinychain/chain/store"
)

// TestDB: reads say whether a key is there, a batch lands whole, a
// snapshot keeps its view, and iterators keep to their range.
func TestDB(t *testing.T) {
	db, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, found, err := db.Get([]byte("a1")); found || err != nil || v != nil {
		t.Fatalf("absent key: %q %v %v", v, found, err)
	}
	batch, more := new(store.Batch), new(store.Batch)
	for _, k := range []string{"a1", "a2"} {
		batch.Put([]byte(k), []byte("v"+k))
	}
	for _, k := range []string{"a3", "b1"} {
		more.Put([]byte(k), []byte("v"+k))
	}
	batch.Append(more)
	if batch.Len() != 4 {
		t.Fatalf("appended batch has %d records", batch.Len())
	}
	if err := db.Write(batch, true); err != nil {
		t.Fatal(err)
	}
	snap, err := db.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Release()
	del := new(store.Batch)
	del.Delete([]byte("a2"))
	if err := db.Write(del, false); err != nil {
		t.Fatal(err)
	}
	if v, found, err := snap.Get([]byte("a2")); !found || err != nil || string(v) != "va2" {
		t.Fatalf("snapshot lost a2: %q %v %v", v, found, err)
	}
	if ok, _ := db.Has([]byte("a2")); ok {
		t.Fatal("a2 not deleted")
	}
	keys := func(it *store.Iterator) (out []string) {
		defer it.Release()
		for it.Next() {
			out = append(out, string(it.Key()))
		}
		return out
	}
	if got := keys(snap.Iterator([]byte("a"), nil)); len(got) != 3 {
		t.Fatalf("prefix a in the snapshot: %q", got)
	}
	if got := keys(db.Iterator([]byte("a"), []byte("a3"))); len(got) != 1 || got[0] != "a1" {
		t.Fatalf("range [a, a3): %q", got)
	}
}

// TestBatchReuse: a batch reset after its write and filled again writes
// only its new records, and Append keeps the order of puts and deletes
// (a delete appended after a put of the same key wins).
func TestBatchReuse(t *testing.T) {
	db, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	batch, side := new(store.Batch), new(store.Batch)
	for round, keys := range [][]string{{"k1", "k2"}, {"k3"}} {
		batch.Reset()
		side.Reset()
		for _, k := range keys {
			batch.Put([]byte(k), []byte("v"+k))
		}
		side.Put([]byte("s"), []byte{byte(round)})
		side.Delete([]byte("k1"))
		batch.Append(side)
		batch.Append(new(store.Batch))
		if want := len(keys) + 2; batch.Len() != want {
			t.Fatalf("round %d: %d records, want %d", round, batch.Len(), want)
		}
		if err := db.Write(batch, false); err != nil {
			t.Fatal(err)
		}
	}
	for k, want := range map[string]string{"k2": "vk2", "k3": "vk3", "s": "\x01"} {
		if v, found, err := db.Get([]byte(k)); !found || err != nil || string(v) != want {
			t.Fatalf("%s: %q %v %v, want %q", k, v, found, err, want)
		}
	}
	if ok, _ := db.Has([]byte("k1")); ok {
		t.Fatal("k1: the appended delete did not win over the put before it")
	}
}

// TestOpenCutCreation: a database whose creation was cut short (the
// CURRENT file naming its manifest never written: a process killed
// while LevelDB created it) opens again with what its journal holds,
// while one that has tables and lost CURRENT is still refused.
func TestOpenCutCreation(t *testing.T) {
	write := func(dir string, compact bool) {
		db, err := store.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Put([]byte("k"), []byte("v")); err != nil {
			t.Fatal(err)
		}
		if compact {
			if err := db.Compact(); err != nil {
				t.Fatal(err)
			}
		}
		db.Close()
		if err := os.Remove(filepath.Join(dir, "CURRENT")); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	write(dir, false)
	db, err := store.Open(dir)
	if err != nil {
		t.Fatalf("open after a cut creation: %v", err)
	}
	if v, found, err := db.Get([]byte("k")); string(v) != "v" || !found || err != nil {
		t.Fatalf("the journal's write after recovery: %q %v %v", v, found, err)
	}
	db.Close()

	dir = t.TempDir()
	write(dir, true)
	if db, err := store.Open(dir); err == nil {
		db.Close()
		t.Fatal("a database with tables and no CURRENT opened")
	}
}
