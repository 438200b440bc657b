package state_test

import (
	"bytes"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tinychain/tinychain/chain/state"
	"github.com/tinychain/tinychain/chain/store"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/vm"
)

func mustOpen(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func mustCommit(t *testing.T, db *store.DB, st *state.State) (common.Hash, []state.UndoEntry) {
	t.Helper()
	batch := new(store.Batch)
	root, undo, err := st.Commit(batch)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Write(batch, false); err != nil {
		t.Fatal(err)
	}
	return root, undo
}

// TestJournalReverts: RevertTo undoes account, code and tape changes made
// after its mark, in any mix, and keeps those made before it.
func TestJournalReverts(t *testing.T) {
	a, c := common.Address{1}, common.Address{2}
	st := state.New(state.EmptyDB{})
	if err := st.SetAccount(a, proto.Account{Balance: 5}); err != nil {
		t.Fatal(err)
	}
	mark := st.Snapshot()
	if err := st.SetAccount(a, proto.Account{Balance: 7, Nonce: 1}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateContract(c, []byte("+.")); err != nil {
		t.Fatal(err)
	}
	tape := vm.Tape{}
	tape[0] = 3
	if err := st.SetTape(c, &tape); err != nil {
		t.Fatal(err)
	}
	st.RevertTo(mark)
	if acct, _ := st.Account(a); acct.Balance != 5 || acct.Nonce != 0 {
		t.Fatalf("account after revert: %+v", acct)
	}
	if acct, _ := st.Account(c); acct.IsContract() {
		t.Fatal("contract survived the revert")
	}
	if enc, _ := st.Tape(c); len(enc) != 0 {
		t.Fatalf("tape after revert: %x", enc)
	}
}

// TestUndoRestoresRoot: a block's undo data, written back by Revert,
// restores the state root and every value the block changed.
func TestUndoRestoresRoot(t *testing.T) {
	db := mustOpen(t)
	a, b, c := common.Address{1}, common.Address{2}, common.Address{3}
	st := state.New(db)
	st.SetAccount(a, proto.Account{Balance: 100})
	st.SetAccount(b, proto.Account{Balance: 50})
	root0, _ := mustCommit(t, db, st)

	st = state.New(db)
	st.SetAccount(a, proto.Account{Balance: 90, Nonce: 1})
	st.SetAccount(b, proto.Account{}) // deleted
	st.CreateContract(c, []byte("+"))
	tape := vm.Tape{}
	tape[2] = 1
	st.SetTape(c, &tape)
	root1, undo := mustCommit(t, db, st)
	if root1 == root0 {
		t.Fatal("the block changed nothing")
	}

	batch := new(store.Batch)
	got, err := state.Revert(db, nil, batch, undo)
	if err != nil || got != root0 {
		t.Fatalf("root after revert %s (%v), want %s", got, err, root0)
	}
	if err := db.Write(batch, false); err != nil {
		t.Fatal(err)
	}
	st = state.New(db)
	if r, _ := st.Root(); r != root0 {
		t.Fatalf("stored root after revert %s, want %s", r, root0)
	}
	for addr, want := range map[common.Address]uint64{a: 100, b: 50, c: 0} {
		if acct, _ := st.Account(addr); acct.Balance != want || acct.IsContract() {
			t.Fatalf("%s after revert: %+v", addr, acct)
		}
	}
	if enc, _ := st.Tape(c); !bytes.Equal(enc, nil) {
		t.Fatalf("tape after revert: %x", enc)
	}
}
