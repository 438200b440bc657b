package mempool_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tinychain/tinychain/chain/mempool"
	"github.com/tinychain/tinychain/internal/testchain"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/wallet"
)

// Every way a pending tx leaves the mempool without being mined leaves a
// reason behind.
func TestDroppedTxsSayWhy(t *testing.T) {
	g := testchain.Genesis()
	tc := testchain.New(t, g)
	mp := mempool.New(tc.C, mempool.Config{MaxTxs: 2})
	want := func(h common.Hash, sub string) {
		t.Helper()
		d, ok := mp.Dropped(h)
		if !ok || !strings.Contains(d.Reason, sub) || d.Tx.Hash() != h {
			t.Fatalf("dropped %s: %v %q, want %q", h, ok, d.Reason, sub)
		}
	}
	cheap, other, rich := pricedTransfer(t, g, 0, 0, 1), pricedTransfer(t, g, 1, 0, 2), pricedTransfer(t, g, 2, 0, 5)
	for _, tx := range []*proto.Tx{cheap, other, rich} {
		if err := mp.Add(tx); err != nil {
			t.Fatal(err)
		}
	}
	want(cheap.Hash(), "evicted: the mempool was full")
	repl := pricedTransfer(t, g, 2, 0, 6)
	if err := mp.Add(repl); err != nil {
		t.Fatal(err)
	}
	want(rich.Hash(), "replaced by "+repl.Hash().Hex())
	// A block that spends dev 1's nonce 0 on another tx drops the pending one.
	rival := pricedTransfer(t, g, 1, 0, 2)
	rival.Value = 7
	rival.Sig, _ = wallet.Sign(rival.SigHash(), wallet.DevKey(1))
	if err := tc.C.ProcessBlock(tc.MineAny(wallet.DevAddress(9), []*proto.Tx{rival})); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 500; i++ { // head events may be delivered after ProcessBlock returns
		if _, ok := mp.Dropped(other.Hash()); ok {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	want(other.Hash(), "nonce 0 was used by another tx")
	// A tx that comes back is no longer reported dropped.
	if err := mp.Add(cheap); err != nil {
		t.Fatal(err)
	}
	if _, ok := mp.Dropped(cheap.Hash()); ok {
		t.Fatal("a tx back in the mempool is still reported dropped")
	}
	// Included txs are not dropped.
	if _, ok := mp.Dropped(rival.Hash()); ok {
		t.Fatal("an included tx is reported dropped")
	}
}

// A full mempool lets a tx that can run in over one stuck behind a
// missing nonce, even at the same gas price.
func TestStuckTxsGoFirst(t *testing.T) {
	g := testchain.Genesis()
	tc := testchain.New(t, g)
	mp := mempool.New(tc.C, mempool.Config{MaxTxs: 2})
	stuck := pricedTransfer(t, g, 0, 1, 1) // dev 0's nonce 0 never came
	for _, tx := range []*proto.Tx{stuck, pricedTransfer(t, g, 1, 0, 1)} {
		if err := mp.Add(tx); err != nil {
			t.Fatal(err)
		}
	}
	if err := mp.Add(pricedTransfer(t, g, 2, 1, 1)); err == nil {
		t.Fatal("a stuck tx pushed out another stuck one")
	}
	if err := mp.Add(pricedTransfer(t, g, 2, 0, 1)); err != nil {
		t.Fatalf("a tx that can run was kept out by a stuck one: %v", err)
	}
	if d, ok := mp.Dropped(stuck.Hash()); !ok || !strings.Contains(d.Reason, "waited behind a nonce gap") {
		t.Fatalf("the stuck tx: %v %q", ok, d.Reason)
	}
}

// Lookup says whether a held tx can run or waits behind a gap (and for
// which nonce); by (sender, nonce) the same, and the latest dropped tx
// of a slot is found by its sender and nonce too.
func TestLookupAndDroppedByNonce(t *testing.T) {
	g := testchain.Genesis()
	tc := testchain.New(t, g)
	mp := mempool.New(tc.C, mempool.Config{})
	run, gap := pricedTransfer(t, g, 0, 0, 1), pricedTransfer(t, g, 0, 2, 1)
	for _, tx := range []*proto.Tx{run, gap} {
		if err := mp.Add(tx); err != nil {
			t.Fatal(err)
		}
	}
	if h, ok := mp.Lookup(run.Hash()); !ok || h.Queued || h.Sender != wallet.DevAddress(0) {
		t.Fatalf("runnable tx: %+v %v", h, ok)
	}
	if h, ok := mp.Lookup(gap.Hash()); !ok || !h.Queued || h.WaitingForNonce != 1 {
		t.Fatalf("queued tx: %+v %v", h, ok)
	}
	if h, ok := mp.LookupNonce(wallet.DevAddress(0), 2); !ok || h.Tx.Hash() != gap.Hash() || !h.Queued {
		t.Fatalf("by nonce: %+v %v", h, ok)
	}
	if _, ok := mp.LookupNonce(wallet.DevAddress(0), 1); ok {
		t.Fatal("a nonce never sent is found")
	}
	repl := pricedTransfer(t, g, 0, 2, 5)
	if err := mp.Add(repl); err != nil {
		t.Fatal(err)
	}
	d, ok := mp.DroppedByNonce(wallet.DevAddress(0), 2)
	if !ok || d.Tx.Hash() != gap.Hash() || !strings.Contains(d.Reason, "replaced by") {
		t.Fatalf("dropped by nonce: %+v %v", d, ok)
	}
	// The gap filled: the replacement can run.
	if err := mp.Add(pricedTransfer(t, g, 0, 1, 1)); err != nil {
		t.Fatal(err)
	}
	if h, ok := mp.Lookup(repl.Hash()); !ok || h.Queued {
		t.Fatalf("after the gap filled: %+v %v", h, ok)
	}
}
