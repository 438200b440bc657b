package chain_test

import (
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/wallet"
)

func pricedTransfer(t *testing.T, g *chain.Genesis, from int, nonce, price uint64) *proto.Tx {
	tx := &proto.Tx{ChainID: g.ChainID, Nonce: nonce, Kind: proto.KindTransfer, To: common.HexToAddress("0x0e"), Value: 1,
		GasLimit: chain.TxGas, GasPrice: price}
	tx.Sig, _ = wallet.Sign(tx.SigHash(), wallet.DevKey(from))
	return tx
}

func TestMempoolReplaceEvictGap(t *testing.T) {
	g := easyGenesis()
	tc := newTestChain(t, g, t.TempDir())
	mp := chain.NewMempool(tc.c, chain.MempoolConfig{MaxTxs: 3})
	if err := mp.Add(pricedTransfer(t, g, 0, 0, 10)); err != nil {
		t.Fatal(err)
	}
	// Same nonce: 10% more is needed (10 -> 11), 10 -> 10 is not enough.
	if err := mp.Add(pricedTransfer(t, g, 0, 0, 10)); !errors.Is(err, chain.ErrKnownTx) {
		t.Fatalf("same tx: %v", err)
	}
	if err := mp.Add(pricedTransfer(t, g, 0, 0, 10) /* same */); err == nil {
		t.Fatal("duplicate accepted")
	}
	under := pricedTransfer(t, g, 0, 0, 10)
	under.Value = 2 // a different tx with the same nonce and price
	under.Sig, _ = wallet.Sign(under.SigHash(), wallet.DevKey(0))
	if err := mp.Add(under); !errors.Is(err, chain.ErrReplaceUnderpriced) {
		t.Fatalf("underpriced replacement: %v", err)
	}
	repl := pricedTransfer(t, g, 0, 0, 11)
	if err := mp.Add(repl); err != nil {
		t.Fatalf("replacement: %v", err)
	}
	if n, _ := mp.Stats(); n != 1 || mp.Get(repl.Hash()) == nil {
		t.Fatal("replacement did not replace")
	}
	// Nonce gap bound.
	if err := mp.Add(pricedTransfer(t, g, 1, chain.MaxNonceGap+1, 5)); chain.CodeOf(err) != chain.ErrNonceTooHigh {
		t.Fatalf("gap: %v", err)
	}
	// Full (3): the cheapest goes when a better one comes; a cheaper one is refused.
	mp.Add(pricedTransfer(t, g, 1, 0, 5))
	mp.Add(pricedTransfer(t, g, 2, 0, 7))
	if err := mp.Add(pricedTransfer(t, g, 3, 0, 4)); !errors.Is(err, chain.ErrMempoolFull) {
		t.Fatalf("cheaper than all when full: %v", err)
	}
	rich := pricedTransfer(t, g, 3, 0, 20)
	if err := mp.Add(rich); err != nil {
		t.Fatal(err)
	}
	if n, _ := mp.Stats(); n != 3 || mp.Get(pricedTransfer(t, g, 1, 0, 5).Hash()) != nil {
		t.Fatal("the cheapest was not evicted")
	}
	// The miner's order: by price.
	p := mp.Pending()
	if len(p) != 3 || p[0].GasPrice != 20 || p[2].GasPrice != 7 {
		t.Fatalf("pending order %v", []uint64{p[0].GasPrice, p[1].GasPrice, p[2].GasPrice})
	}
}

func TestMempoolFollowsReorg(t *testing.T) {
	g := easyGenesis()
	a := newTestChain(t, g, t.TempDir())
	b := newTestChain(t, g, t.TempDir())
	mp := chain.NewMempool(a.c, chain.MempoolConfig{})
	tx := pricedTransfer(t, g, 0, 0, 1)
	if err := mp.Add(tx); err != nil {
		t.Fatal(err)
	}
	blk := a.mineOnHead(wallet.DevAddress(9), tx)
	if err := a.c.ProcessBlock(blk); err != nil {
		t.Fatal(err)
	}
	if mp.Get(tx.Hash()) != nil {
		t.Fatal("an included tx stayed in the mempool")
	}
	for i := 0; i < 2; i++ {
		other := b.mineOnHead(wallet.DevAddress(8))
		b.c.ProcessBlock(other)
		if err := a.c.ProcessBlock(other); err != nil {
			t.Fatal(err)
		}
	}
	if a.c.Head().Hash != b.c.Head().Hash {
		t.Fatal("no reorg")
	}
	if mp.Get(tx.Hash()) == nil {
		t.Fatal("the tx of the abandoned block did not come back")
	}
}

// TestMempoolCopySenders: a block's copy of a pending tx (decoded afresh,
// no sender yet) takes the sender the mempool recovered; a tx the mempool
// does not hold is left to be recovered.
func TestMempoolCopySenders(t *testing.T) {
	g := easyGenesis()
	tc := newTestChain(t, g, t.TempDir())
	mp := chain.NewMempool(tc.c, chain.MempoolConfig{})
	pending := pricedTransfer(t, g, 2, 0, 10)
	if err := mp.Add(pending); err != nil {
		t.Fatal(err)
	}
	inBlock, err := proto.DecodeTx(pending.Encode())
	if err != nil {
		t.Fatal(err)
	}
	unseen, err := proto.DecodeTx(pricedTransfer(t, g, 3, 0, 10).Encode())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := inBlock.CachedSender(); ok {
		t.Fatal("a decoded tx has a sender already")
	}
	mp.CopySenders([]*proto.Tx{inBlock, unseen})
	if a, ok := inBlock.CachedSender(); !ok || a != wallet.DevAddress(2) {
		t.Fatalf("sender %s %v, want %s", a, ok, wallet.DevAddress(2))
	}
	if a, ok := unseen.CachedSender(); ok {
		t.Fatalf("a tx not in the mempool got sender %s", a)
	}
}
