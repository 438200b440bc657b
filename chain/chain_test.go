package chain_test

import (
	"context"
	"errors"
	"math/big"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/wallet"
)

// easyGenesis is a chain where half of all hashes solve a block, so tests
// mine instantly; its blocks come every second when tests keep to schedule.
func easyGenesis() *chain.Genesis {
	g := chain.Devnet()
	g.ChainID = 99
	limit := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(1))
	g.Target = (*hexutil.Big)(limit)
	g.PowLimit = (*hexutil.Big)(new(big.Int).Set(limit))
	g.BlockIntervalMs = 1000
	g.HalfLifeMs = 3_600_000
	g.Timestamp = 1_700_000_000_000
	return g
}

type testChain struct {
	t   testing.TB
	g   *chain.Genesis
	c   *chain.Chain
	now atomic.Int64 // ms
}

// newTestChainTB opens a chain in a fresh temp dir.
func newTestChainTB(t testing.TB, g *chain.Genesis) *testChain {
	return newTestChain(t, g, t.TempDir())
}

func newTestChain(t testing.TB, g *chain.Genesis, dir string) *testChain {
	t.Helper()
	tc := &testChain{t: t, g: g}
	tc.now.Store(int64(g.Timestamp) + 1_000_000_000)
	c, err := chain.Open(chain.Config{Dir: dir, Genesis: g, Now: func() time.Time { return time.UnixMilli(tc.now.Load()) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	tc.c = c
	return tc
}

// mineOnHead assembles a block of txs on the head, one interval after its
// parent, and solves it.
func (tc *testChain) mineOnHead(miner common.Address, txs ...*proto.Tx) *proto.Block {
	tc.t.Helper()
	tpl, err := tc.c.NewTemplate()
	if err != nil {
		tc.t.Fatal(err)
	}
	defer tpl.Release()
	b, _, err := chain.Assemble(tpl, tc.g, miner, tpl.Parent.Timestamp+uint64(tc.g.BlockIntervalMs), txs)
	if err != nil {
		tc.t.Fatal(err)
	}
	if len(b.Txs) != len(txs) {
		tc.t.Fatalf("assembled %d of %d txs", len(b.Txs), len(txs))
	}
	var n atomic.Uint64
	if !chain.Solve(context.Background(), &b.Header, 1, &n) {
		tc.t.Fatal("no solution")
	}
	return b
}

func signedTransfer(t *testing.T, g *chain.Genesis, from int, nonce uint64, to common.Address, value uint64) *proto.Tx {
	t.Helper()
	tx := &proto.Tx{ChainID: g.ChainID, Nonce: nonce, Kind: proto.KindTransfer, To: to, Value: value,
		GasLimit: chain.TxGas, GasPrice: 1}
	sig, err := wallet.Sign(tx.SigHash(), wallet.DevKey(from))
	if err != nil {
		t.Fatal(err)
	}
	tx.Sig = sig
	return tx
}

func TestMineTransferAndReopen(t *testing.T) {
	g := easyGenesis()
	dir := t.TempDir()
	tc := newTestChain(t, g, dir)
	miner := wallet.DevAddress(9)
	to := common.HexToAddress("0x00000000000000000000000000000000000000aa")
	for i := 0; i < 3; i++ {
		tx := signedTransfer(t, g, 0, uint64(i), to, 100)
		b := tc.mineOnHead(miner, tx)
		if err := tc.c.ProcessBlock(b); err != nil {
			t.Fatalf("block %d: %v", i+1, err)
		}
	}
	if h := tc.c.Head().Header.Height; h != 3 {
		t.Fatalf("height %d, want 3", h)
	}
	acct, err := tc.c.Account(to)
	if err != nil || acct.Balance != 300 {
		t.Fatalf("recipient: %+v %v", acct, err)
	}
	sender, _ := tc.c.Account(wallet.DevAddress(0))
	if sender.Nonce != 3 || sender.Balance != chain.DevnetAlloc-300-3*chain.TxGas {
		t.Fatalf("sender: %+v", sender)
	}
	m, _ := tc.c.Account(miner)
	if want := chain.DevnetAlloc + 3*uint64(g.BlockReward) + 3*chain.TxGas; m.Balance != want {
		t.Fatalf("miner balance %d, want %d", m.Balance, want)
	}
	head := tc.c.Head()
	tc.c.Close()
	tc2 := newTestChain(t, g, dir)
	if got := tc2.c.Head(); got.Hash != head.Hash {
		t.Fatalf("reopened head %s, want %s", got.Hash, head.Hash)
	}
}

func TestReorgRestoresState(t *testing.T) {
	g := easyGenesis()
	a := newTestChain(t, g, t.TempDir())
	b := newTestChain(t, g, t.TempDir())
	to := common.HexToAddress("0x00000000000000000000000000000000000000bb")
	// a: one block with a transfer; b: two empty blocks (more work).
	blkA := a.mineOnHead(wallet.DevAddress(1), signedTransfer(t, g, 0, 0, to, 5))
	if err := a.c.ProcessBlock(blkA); err != nil {
		t.Fatal(err)
	}
	var bBlocks []*proto.Block
	for i := 0; i < 2; i++ {
		blk := b.mineOnHead(wallet.DevAddress(2))
		if err := b.c.ProcessBlock(blk); err != nil {
			t.Fatal(err)
		}
		bBlocks = append(bBlocks, blk)
	}
	var events []*chain.HeadEvent
	a.c.Subscribe(func(ev *chain.HeadEvent) { events = append(events, ev) })
	for _, blk := range bBlocks {
		if err := a.c.ProcessBlock(blk); err != nil {
			t.Fatal(err)
		}
	}
	if a.c.Head().Hash != b.c.Head().Hash {
		t.Fatal("a did not reorganise onto b's heavier chain")
	}
	if a.c.Head().Header.StateRoot != b.c.Head().Header.StateRoot {
		t.Fatal("state roots differ")
	}
	if acct, _ := a.c.Account(to); acct.Balance != 0 {
		t.Fatalf("transfer of the abandoned block still applied: %+v", acct)
	}
	var disconnected int
	for _, ev := range events {
		disconnected += len(ev.Disconnected)
	}
	if disconnected != 1 {
		t.Fatalf("%d blocks disconnected, want 1", disconnected)
	}
	if _, err := a.c.Tx(blkA.Txs[0].Hash()); !errors.Is(err, chain.ErrNotFound) {
		t.Fatalf("abandoned tx still indexed: %v", err)
	}
	for _, addr := range []common.Address{to, wallet.DevAddress(0)} {
		if txs, _, err := a.c.AddressTxs(addr, 0, 10); err != nil || len(txs) != 0 {
			t.Fatalf("abandoned tx still in the address index of %s: %d %v", addr, len(txs), err)
		}
	}
}

func TestAddressTxs(t *testing.T) {
	g := easyGenesis()
	tc := newTestChain(t, g, t.TempDir())
	to := common.HexToAddress("0x00000000000000000000000000000000000000cc")
	var sent []*proto.Tx
	for i := 0; i < 4; i++ {
		tx := signedTransfer(t, g, 0, uint64(i), to, 1)
		sent = append(sent, tx)
		if err := tc.c.ProcessBlock(tc.mineOnHead(wallet.DevAddress(9), tx)); err != nil {
			t.Fatal(err)
		}
	}
	// Newest first, for the sender and the recipient alike.
	for _, addr := range []common.Address{wallet.DevAddress(0), to} {
		got, _, err := tc.c.AddressTxs(addr, 0, 10)
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
	got, _, err := tc.c.AddressTxs(to, 3, 1)
	if err != nil || len(got) != 1 || got[0].Height != 2 {
		t.Fatalf("page below 3: %+v %v", got, err)
	}
	if got, _, _ := tc.c.AddressTxs(wallet.DevAddress(5), 0, 10); len(got) != 0 {
		t.Fatalf("an untouched address lists %d txs", len(got))
	}
}
