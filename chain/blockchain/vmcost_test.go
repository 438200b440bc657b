package blockchain_test

import (
	"bytes"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/internal/testchain"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/vm"
	"github.com/tinychain/tinychain/wallet"
)

// TestBigContractCallsPayTheirLoad (attack 1): a 130 KB contract that
// skips itself cost every node about 3 s per 1,000-gas call (a quadratic
// compile, never cached). Now a call pays 1 gas per code byte before its
// first command: a cheap call fails without the code being read, let alone
// compiled, and a call that pays compiles it once into the cache, which the
// next calls hit.
func TestBigContractCallsPayTheirLoad(t *testing.T) {
	g := testchain.Genesis()
	tc := testchain.New(t, g)
	code := append(append([]byte("["), bytes.Repeat([]byte("+>"), (g.MaxTxBytes-300)/2)...), ']')
	var s signer
	s.g = g
	dep := s.sign(t, &proto.Tx{Kind: proto.KindDeploy, Data: code, GasLimit: chain.TxGas + 16*uint64(len(code))})
	from, nonce := s.last()
	addr := crypto.CreateAddress(from, nonce)
	mineAll(t, tc, []*proto.Tx{dep})

	var cheap []*proto.Tx
	for range 5 {
		cheap = append(cheap, s.sign(t, &proto.Tx{Kind: proto.KindCall, To: addr, GasLimit: chain.TxGas + 10}))
	}
	blk := tc.MineOnHead(wallet.DevAddress(9), cheap...)
	if err := tc.C.ProcessBlock(blk); err != nil {
		t.Fatal(err)
	}
	for _, tx := range cheap {
		r := receiptOf(t, tc.C, tx).Receipt
		if r.ErrCode != proto.ErrCodeLoadOutOfGas || r.GasUsed != tx.GasLimit {
			t.Fatalf("cheap call: %+v", r)
		}
	}
	if n, _ := tc.C.ProgramCache(); n != 0 {
		t.Fatalf("%d programs compiled for calls that could not pay to load them", n)
	}

	// Calls that pay: the first with enough gas to compile (CompileRatio a
	// byte) fills the cache; all run the skip for 1 gas after the load.
	rich := uint64(chain.TxGas + vm.CompileRatio*len(code))
	paid := []*proto.Tx{
		s.sign(t, &proto.Tx{Kind: proto.KindCall, To: addr, GasLimit: chain.TxGas + uint64(len(code)) + 1}),
		s.sign(t, &proto.Tx{Kind: proto.KindCall, To: addr, GasLimit: rich}),
		s.sign(t, &proto.Tx{Kind: proto.KindCall, To: addr, GasLimit: chain.TxGas + uint64(len(code)) + 1}),
	}
	mineAll(t, tc, paid)
	for _, tx := range paid {
		r := receiptOf(t, tc.C, tx).Receipt
		if r.Status != proto.StatusOK || r.GasUsed != chain.TxGas+uint64(len(code))+1 {
			t.Fatalf("paid call (limit %d): %+v", tx.GasLimit, r)
		}
	}
	if n, _ := tc.C.ProgramCache(); n != 1 {
		t.Fatalf("cache holds %d programs, want the one contract", n)
	}
}

// TestOutputCostsItsReceiptBytes (attack 9): an output byte cost 1 gas and
// stays in the receipts forever, so a 37 KB block of "+[.]" execs stored
// 22 MiB of receipts. Now '.' costs 17: a block's receipt outputs are at
// most its gas / 17 bytes. And each receipt is stored under its own key,
// which is what a tx lookup reads.
func TestOutputCostsItsReceiptBytes(t *testing.T) {
	g := testchain.Genesis()
	tc := testchain.New(t, g)
	var s signer
	s.g = g
	var txs []*proto.Tx
	for gas := uint64(0); gas+140_000 <= g.BlockGasLimit; gas += 140_000 {
		txs = append(txs, s.sign(t, &proto.Tx{Kind: proto.KindExec, Data: []byte("+[.]"), GasLimit: 140_000}))
	}
	blk := tc.MineOnHead(wallet.DevAddress(9), txs...)
	if err := tc.C.ProcessBlock(blk); err != nil {
		t.Fatal(err)
	}
	rs, err := tc.C.Receipts(blk.Hash())
	if err != nil || len(rs) != len(txs) {
		t.Fatalf("%d receipts, %v", len(rs), err)
	}
	var out, gas uint64
	for _, r := range rs {
		out += uint64(len(r.Output))
		gas += r.GasUsed
	}
	if out > gas/(vm.GasStep+vm.GasOutput) || out > 3<<20 {
		t.Fatalf("%d output bytes for %d gas: more than one per %d gas", out, gas, vm.GasStep+vm.GasOutput)
	}
	res, err := tc.C.Tx(txs[7].Hash())
	if err != nil || res.Index != 7 || !bytes.Equal(res.Receipt.Output, rs[7].Output) || res.Receipt.ErrCode != proto.ErrCodeOutOfGas {
		t.Fatalf("lookup: %+v %v", res, err)
	}
	if err := tc.C.Verify(); err != nil {
		t.Fatal(err)
	}
}
