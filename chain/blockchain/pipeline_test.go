package blockchain_test

import (
	"errors"
	"math/big"
	"slices"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/internal/testchain"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/wallet"
)

// TestPipelinedImportKeepsErrorOrder: a block executes while its senders
// are still recovered, yet a bad signature anywhere in it still wins over
// an execution error before it (CheckBlock's rules come first) and the
// block is not stored; an execution error alone stores the block as
// invalid; the valid block then imports.
func TestPipelinedImportKeepsErrorOrder(t *testing.T) {
	g := testchain.Genesis()
	tc := testchain.New(t, g)
	var txs []*proto.Tx
	for i := range 64 { // several recovery workers
		to := common.BigToAddress(big.NewInt(int64(1000 + i)))
		txs = append(txs, testchain.Transfer(t, g, i%wallet.DevKeys, uint64(i/wallet.DevKeys), to, 1))
	}
	good := tc.MineOnHead(wallet.DevAddress(9), txs...)

	variant := func(edit func(txs []*proto.Tx)) *proto.Block {
		b := &proto.Block{Header: good.Header, Txs: slices.Clone(good.Txs)}
		edit(b.Txs)
		b.Header.TxRoot = chain.TxRoot(b.Txs)
		testchain.Solve(t, &b.Header)
		return b
	}
	nonceTooHigh := testchain.Transfer(t, g, 0, 99, common.HexToAddress("0x01"), 1)
	badSig := func(tx *proto.Tx) *proto.Tx {
		fresh, err := proto.DecodeTx(tx.Encode()) // nothing cached
		if err != nil {
			t.Fatal(err)
		}
		fresh.Sig[64] = 9 // no recovery id
		return fresh
	}

	both := variant(func(txs []*proto.Tx) { txs[0] = nonceTooHigh; txs[50] = badSig(txs[50]) })
	for range 2 { // not stored: the same verdict again
		err := tc.C.ProcessBlock(both)
		if chain.CodeOf(err) != chain.ErrBadSignature || errors.Is(err, chain.ErrExecution) {
			t.Fatalf("bad signature after a bad nonce: %v", err)
		}
	}
	if _, err := tc.C.HeaderByHash(both.Hash()); err == nil {
		t.Fatal("a block with a bad signature was stored")
	}

	exec := variant(func(txs []*proto.Tx) { txs[0] = nonceTooHigh })
	if err := tc.C.ProcessBlock(exec); !errors.Is(err, chain.ErrExecution) || chain.CodeOf(err) != chain.ErrNonceTooHigh {
		t.Fatalf("bad nonce: %v", err)
	}
	if err := tc.C.ProcessBlock(exec); chain.CodeOf(err) != chain.ErrInvalidAncestor {
		t.Fatalf("bad nonce again: %v, want known invalid", err)
	}

	if err := tc.C.ProcessBlock(good); err != nil || tc.C.Head().Hash != good.Hash() {
		t.Fatalf("valid block: %v", err)
	}
}
