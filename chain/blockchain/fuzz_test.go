package blockchain_test

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/internal/testchain"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/wallet"
)

// FuzzCheckBlock runs the context-free checks a gossiped or synced block
// or tx meets first (decode, then CheckBlock or CheckTx: size, PoW, tx
// root, every signature) on fuzzed bytes: an error, never a panic, and a
// block that passes has a sender for each tx.
func FuzzCheckBlock(f *testing.F) {
	g := testchain.Genesis()
	tc := testchain.Open(f, g, f.TempDir())
	var txs []*proto.Tx
	for i := 0; i < 2; i++ {
		tx := &proto.Tx{ChainID: g.ChainID, Kind: proto.KindTransfer, To: common.Address{9}, Value: 1, GasLimit: chain.TxGas, GasPrice: 1}
		sig, err := wallet.Sign(tx.SigHash(), wallet.DevKey(i))
		if err != nil {
			f.Fatal(err)
		}
		tx.Sig = sig
		txs = append(txs, tx)
		f.Add(tx.Encode())
	}
	blk := tc.MineAny(wallet.DevAddress(3), txs)
	if _, err := chain.CheckBlock(blk, g); err != nil {
		f.Fatal(err)
	}
	f.Add(blk.Encode())
	f.Fuzz(func(t *testing.T, data []byte) {
		if b, err := proto.DecodeBlock(data); err == nil {
			senders, err := chain.CheckBlock(b, g)
			if err == nil && len(senders) != len(b.Txs) {
				t.Fatalf("%d senders for %d txs", len(senders), len(b.Txs))
			}
		}
		if tx, err := proto.DecodeTx(data); err == nil {
			chain.CheckTx(tx, g)
		}
	})
}
