package blockchain_test

import (
	"context"
	"errors"
	"reflect"
	"sync/atomic"
	"testing"

	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/chain/blockchain"
	"github.com/tinychain/tinychain/chain/miner"
	"github.com/tinychain/tinychain/internal/testchain"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/wallet"
)

// TestHeaderContextChild: the contexts that sync builds header by header
// from a known block (HeaderContext, then Child) are those the chain
// builds for the blocks it stores, past block 1 (the ASERT anchor) and
// past 11 timestamps; every header passes CheckHeaderOnly, and a header
// with a wrong target, height or PoW does not.
func TestHeaderContextChild(t *testing.T) {
	g := testchain.Genesis()
	tc := testchain.New(t, g)
	var headers []*proto.Header
	for i := 0; i < 20; i++ {
		b := tc.MineOnHead(wallet.DevAddress(9))
		if err := tc.C.ProcessBlock(b); err != nil {
			t.Fatal(err)
		}
		headers = append(headers, &b.Header)
	}
	ctx, info, err := tc.C.HeaderContext(tc.C.GenesisHash())
	if err != nil || info.Header.Height != 0 {
		t.Fatal(info, err)
	}
	now := uint64(tc.Clock.Load())
	for _, h := range headers {
		want, _, err := tc.C.HeaderContext(h.PrevHash)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(ctx, want) {
			t.Fatalf("height %d: context %+v, the chain's %+v", h.Height, ctx, want)
		}
		if err := chain.CheckHeaderOnly(h, ctx, g, now); err != nil {
			t.Fatalf("height %d: %v", h.Height, err)
		}
		ctx = ctx.Child(h)
	}
	last := headers[len(headers)-1]
	bad := *last
	bad.PrevHash, bad.Height = last.Hash(), last.Height+2
	var c atomic.Uint64
	miner.Solve(context.Background(), &bad, 1, &c)
	if err := chain.CheckHeaderOnly(&bad, ctx, g, now); !errors.Is(err, chain.ErrBadHeight) {
		t.Fatalf("a header two above its parent: %v", err)
	}
	bad = *last
	bad.Target = [32]byte{}
	if err := chain.CheckHeaderOnly(&bad, ctx, g, now); !errors.Is(err, chain.ErrBadTarget) {
		t.Fatalf("a zero target: %v", err)
	}
	if _, _, err := tc.C.HeaderContext(bad.Hash()); !errors.Is(err, blockchain.ErrNotFound) {
		t.Fatalf("an unknown block's context: %v", err)
	}
	if got := tc.C.HeadersAfter(15, 100); len(got) != 5 || got[0].Height != 16 {
		t.Fatalf("headers after 15: %d", len(got))
	}
}

// BenchmarkCheckHeaderOnly: what a header a peer sends costs us to check
// (a hash for the PoW, the ASERT target, the median time): the bound on
// the time a sync peer's headers take.
func BenchmarkCheckHeaderOnly(b *testing.B) {
	g := testchain.Genesis()
	tc := testchain.Open(b, g, b.TempDir())
	blk := tc.MineOnHead(wallet.DevAddress(9))
	if err := tc.C.ProcessBlock(blk); err != nil {
		b.Fatal(err)
	}
	next := tc.MineOnHead(wallet.DevAddress(9))
	ctx, _, err := tc.C.HeaderContext(blk.Hash())
	if err != nil {
		b.Fatal(err)
	}
	now := uint64(tc.Clock.Load())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := chain.CheckHeaderOnly(&next.Header, ctx, g, now); err != nil {
			b.Fatal(err)
		}
		_ = ctx.Child(&next.Header)
		_ = chain.CalcWork(next.Header.TargetBig())
		_ = next.Header.Hash()
	}
}
