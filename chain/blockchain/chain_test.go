package blockchain_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/chain/blockchain"
	"github.com/tinychain/tinychain/chain/state"
	"github.com/tinychain/tinychain/chain/store"
	"github.com/tinychain/tinychain/internal/testchain"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/wallet"
)

func TestMineTransferAndReopen(t *testing.T) {
	g := testchain.Genesis()
	dir := t.TempDir()
	tc := testchain.Open(t, g, dir)
	miner := wallet.DevAddress(9)
	to := common.HexToAddress("0x00000000000000000000000000000000000000aa")
	for i := 0; i < 3; i++ {
		tx := testchain.Transfer(t, g, 0, uint64(i), to, 100)
		b := tc.MineOnHead(miner, tx)
		if err := tc.C.ProcessBlock(b); err != nil {
			t.Fatalf("block %d: %v", i+1, err)
		}
	}
	if h := tc.C.Head().Header.Height; h != 3 {
		t.Fatalf("height %d, want 3", h)
	}
	acct, err := tc.C.Account(to)
	if err != nil || acct.Balance != 300 {
		t.Fatalf("recipient: %+v %v", acct, err)
	}
	sender, _ := tc.C.Account(wallet.DevAddress(0))
	if sender.Nonce != 3 || sender.Balance != chain.DevnetAlloc-300-3*chain.TxGas {
		t.Fatalf("sender: %+v", sender)
	}
	m, _ := tc.C.Account(miner)
	if want := chain.DevnetAlloc + 3*uint64(g.BlockReward) + 3*chain.TxGas; m.Balance != want {
		t.Fatalf("miner balance %d, want %d", m.Balance, want)
	}
	head := tc.C.Head()
	tc.C.Close()
	tc2 := testchain.Open(t, g, dir)
	if got := tc2.C.Head(); got.Hash != head.Hash {
		t.Fatalf("reopened head %s, want %s", got.Hash, head.Hash)
	}
}

// TestOpenRefusesForeignStateTree: a database whose state tree is not the
// head's (another storage layout: here its root node moved to where the
// old 35-byte key put it) refuses to open, saying so, rather than take the
// next valid block for one with a bad state root.
func TestOpenRefusesForeignStateTree(t *testing.T) {
	g := testchain.Genesis()
	dir := t.TempDir()
	tc := testchain.Open(t, g, dir)
	blk := tc.MineOnHead(wallet.DevAddress(9), testchain.Transfer(t, g, 0, 0, common.HexToAddress("0xaa"), 1))
	if err := tc.C.ProcessBlock(blk); err != nil {
		t.Fatal(err)
	}
	tc.C.Close()
	db, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	rootKey := append(slices.Clone(state.SMTPrefix), 0, 0) // depth 0
	node, found, err := db.Get(rootKey)
	if err != nil || !found {
		t.Fatalf("root node: %v %v", found, err)
	}
	batch := new(store.Batch)
	batch.Delete(rootKey)
	batch.Put(append(slices.Clone(state.SMTPrefix), make([]byte, 34)...), node)
	if err := db.Write(batch, true); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err = blockchain.Open(blockchain.Config{Dir: dir, Genesis: g})
	if err == nil || !strings.Contains(err.Error(), "incompatible version") {
		t.Fatalf("open with a foreign state tree: %v", err)
	}
}

func TestReorgRestoresState(t *testing.T) {
	g := testchain.Genesis()
	a := testchain.New(t, g)
	b := testchain.New(t, g)
	to := common.HexToAddress("0x00000000000000000000000000000000000000bb")
	// a: one block with a transfer; b: two empty blocks (more work).
	blkA := a.MineOnHead(wallet.DevAddress(1), testchain.Transfer(t, g, 0, 0, to, 5))
	if err := a.C.ProcessBlock(blkA); err != nil {
		t.Fatal(err)
	}
	var bBlocks []*proto.Block
	for i := 0; i < 2; i++ {
		blk := b.MineOnHead(wallet.DevAddress(2))
		if err := b.C.ProcessBlock(blk); err != nil {
			t.Fatal(err)
		}
		bBlocks = append(bBlocks, blk)
	}
	var events []*blockchain.HeadEvent
	a.C.Subscribe(func(ev *blockchain.HeadEvent) { events = append(events, ev) })
	for _, blk := range bBlocks {
		if err := a.C.ProcessBlock(blk); err != nil {
			t.Fatal(err)
		}
	}
	if a.C.Head().Hash != b.C.Head().Hash {
		t.Fatal("a did not reorganise onto b's heavier chain")
	}
	if a.C.Head().Header.StateRoot != b.C.Head().Header.StateRoot {
		t.Fatal("state roots differ")
	}
	if acct, _ := a.C.Account(to); acct.Balance != 0 {
		t.Fatalf("transfer of the abandoned block still applied: %+v", acct)
	}
	var disconnected int
	for _, ev := range events {
		disconnected += len(ev.Disconnected)
	}
	if disconnected != 1 {
		t.Fatalf("%d blocks disconnected, want 1", disconnected)
	}
	if _, err := a.C.Tx(blkA.Txs[0].Hash()); !errors.Is(err, blockchain.ErrNotFound) {
		t.Fatalf("abandoned tx still indexed: %v", err)
	}
	for _, addr := range []common.Address{to, wallet.DevAddress(0)} {
		if txs, _, err := a.C.AddressTxs(addr, 0, 10); err != nil || len(txs) != 0 {
			t.Fatalf("abandoned tx still in the address index of %s: %d %v", addr, len(txs), err)
		}
	}
}

func TestAddressTxs(t *testing.T) {
	g := testchain.Genesis()
	tc := testchain.New(t, g)
	to := common.HexToAddress("0x00000000000000000000000000000000000000cc")
	var sent []*proto.Tx
	for i := 0; i < 4; i++ {
		tx := testchain.Transfer(t, g, 0, uint64(i), to, 1)
		sent = append(sent, tx)
		if err := tc.C.ProcessBlock(tc.MineOnHead(wallet.DevAddress(9), tx)); err != nil {
			t.Fatal(err)
		}
	}
	// Newest first, for the sender and the recipient alike.
	for _, addr := range []common.Address{wallet.DevAddress(0), to} {
		got, _, err := tc.C.AddressTxs(addr, 0, 10)
		if err != nil || len(got) != 4 {
			t.Fatalf("%s: %d txs, %v", addr, len(got), err)
		}
		for i, r := range got {
			if want := sent[3-i].Hash(); r.Tx.Hash() != want || r.Height != uint64(4-i) {
				t.Fatalf("%s: tx %d is %s at %d, want %s", addr, i, r.Tx.Hash(), r.Height, want)
			}
		}
	}
	// Paging: below height 3, at most one.
	got, _, err := tc.C.AddressTxs(to, 3, 1)
	if err != nil || len(got) != 1 || got[0].Height != 2 {
		t.Fatalf("page below 3: %+v %v", got, err)
	}
	if got, _, _ := tc.C.AddressTxs(wallet.DevAddress(5), 0, 10); len(got) != 0 {
		t.Fatalf("an untouched address lists %d txs", len(got))
	}
}
