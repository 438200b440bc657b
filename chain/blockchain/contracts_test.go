package blockchain_test

import (
	"bytes"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/chain/blockchain"
	"github.com/tinychain/tinychain/internal/testchain"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/wallet"
)

func receiptOf(t *testing.T, c *blockchain.Chain, tx *proto.Tx) *blockchain.TxResult {
	t.Helper()
	res, err := c.Tx(tx.Hash())
	if err != nil {
		t.Fatalf("tx %s: %v", tx.Hash(), err)
	}
	return res
}

func TestDeployCallExec(t *testing.T) {
	g := testchain.Genesis()
	tc := testchain.New(t, g)
	miner := wallet.DevAddress(9)
	counter := []byte("count: +.")
	deploy := testchain.Sign(t, g, 0, &proto.Tx{Nonce: 0, Kind: proto.KindDeploy, Data: counter, Value: 7, GasLimit: 100_000})
	if err := tc.C.ProcessBlock(tc.MineOnHead(miner, deploy)); err != nil {
		t.Fatal(err)
	}
	res := receiptOf(t, tc.C, deploy)
	addr := crypto.CreateAddress(wallet.DevAddress(0), 0)
	if res.Contract == nil || *res.Contract != addr || res.Receipt.Status != proto.StatusOK {
		t.Fatalf("deploy result %+v", res)
	}
	if want := chain.IntrinsicGas(deploy); res.Receipt.GasUsed != want {
		t.Fatalf("deploy gas %d, want %d", res.Receipt.GasUsed, want)
	}
	acct, _ := tc.C.Account(addr)
	if !acct.IsContract() || acct.Balance != 7 {
		t.Fatalf("contract account %+v", acct)
	}
	before, _ := tc.C.Account(wallet.DevAddress(0))
	for i := 1; i <= 3; i++ {
		call := testchain.Sign(t, g, 0, &proto.Tx{Nonce: uint64(i), Kind: proto.KindCall, To: addr, GasLimit: 10_000})
		if err := tc.C.ProcessBlock(tc.MineOnHead(miner, call)); err != nil {
			t.Fatal(err)
		}
		r := receiptOf(t, tc.C, call).Receipt
		if r.Status != proto.StatusOK || !bytes.Equal(r.Output, []byte{byte(i)}) {
			t.Fatalf("call %d: %+v", i, r)
		}
		// Loading the 9 bytes of code costs 9 and the tape 1 a cell (none
		// on the first call, then the one cell it keeps), then + costs 4
		// and . 17, on top of the intrinsic gas.
		if want := chain.IntrinsicGas(call) + 9 + uint64(min(i-1, 1)) + 4 + 17; r.GasUsed != want {
			t.Fatalf("call gas %d, want %d", r.GasUsed, want)
		}
	}
	after, _ := tc.C.Account(wallet.DevAddress(0))
	if paid := before.Balance - after.Balance; paid != 3*(chain.TxGas+30)+2 {
		t.Fatalf("caller paid %d for three calls", paid)
	}
	tape, _ := tc.C.Tape(addr)
	if !bytes.Equal(tape, []byte{3}) {
		t.Fatalf("tape %x", tape)
	}
	// exec on the world tape: writes cells 0 and 1.
	ex := testchain.Sign(t, g, 1, &proto.Tx{Kind: proto.KindExec, Data: []byte("+++>++"), GasLimit: 10_000})
	if err := tc.C.ProcessBlock(tc.MineOnHead(miner, ex)); err != nil {
		t.Fatal(err)
	}
	world, _ := tc.C.Tape(chain.WorldTape)
	if !bytes.Equal(world, []byte{3, 2}) {
		t.Fatalf("world tape %x", world)
	}
}

func TestFaultKeepsFeeRevertsRest(t *testing.T) {
	g := testchain.Genesis()
	tc := testchain.New(t, g)
	miner := wallet.DevAddress(9)
	// Writes a cell, outputs it, then moves left of cell 0: a tape fault.
	code := []byte("+.<")
	deploy := testchain.Sign(t, g, 0, &proto.Tx{Kind: proto.KindDeploy, Data: code, GasLimit: 100_000})
	if err := tc.C.ProcessBlock(tc.MineOnHead(miner, deploy)); err != nil {
		t.Fatal(err)
	}
	addr := crypto.CreateAddress(wallet.DevAddress(0), 0)
	before, _ := tc.C.Account(wallet.DevAddress(0))
	call := testchain.Sign(t, g, 0, &proto.Tx{Nonce: 1, Kind: proto.KindCall, To: addr, Value: 1000, GasLimit: 5_000})
	if err := tc.C.ProcessBlock(tc.MineOnHead(miner, call)); err != nil {
		t.Fatal(err)
	}
	r := receiptOf(t, tc.C, call).Receipt
	if r.Status != proto.StatusFault || r.ErrCode != proto.ErrCodeTapeLeft || r.FaultAt != 2 || !bytes.Equal(r.Output, []byte{1}) {
		t.Fatalf("receipt %+v", r)
	}
	if want := chain.IntrinsicGas(call) + 3 + 4 + 17 + 1; r.GasUsed != want {
		t.Fatalf("gas used %d, want %d", r.GasUsed, want)
	}
	after, _ := tc.C.Account(wallet.DevAddress(0))
	if after.Nonce != 2 || before.Balance-after.Balance != r.GasUsed {
		t.Fatalf("sender: nonce %d, paid %d (want fee %d only)", after.Nonce, before.Balance-after.Balance, r.GasUsed)
	}
	if acct, _ := tc.C.Account(addr); acct.Balance != 0 {
		t.Fatalf("value reached the contract despite the fault: %+v", acct)
	}
	if tape, _ := tc.C.Tape(addr); len(tape) != 0 {
		t.Fatalf("tape changed despite the fault: %x", tape)
	}
	// Out of gas uses the whole gas limit.
	loop := testchain.Sign(t, g, 1, &proto.Tx{Kind: proto.KindExec, Data: []byte("+[]"), GasLimit: 2_000})
	if err := tc.C.ProcessBlock(tc.MineOnHead(miner, loop)); err != nil {
		t.Fatal(err)
	}
	r = receiptOf(t, tc.C, loop).Receipt
	if r.Status != proto.StatusOutOfGas || r.GasUsed != 2_000 || r.ErrCode != proto.ErrCodeOutOfGas || r.FaultAt != 2 {
		t.Fatalf("out of gas receipt %+v", r)
	}
	// A call of an address without code fails but is included.
	nocode := testchain.Sign(t, g, 2, &proto.Tx{Kind: proto.KindCall, To: common.HexToAddress("0x1234"), GasLimit: 5_000})
	if err := tc.C.ProcessBlock(tc.MineOnHead(miner, nocode)); err != nil {
		t.Fatal(err)
	}
	if r := receiptOf(t, tc.C, nocode).Receipt; r.Status != proto.StatusFault || r.ErrCode != proto.ErrCodeNoContract {
		t.Fatalf("call without code: %+v", r)
	}
}

// TestCallPaysCodeLoad: a call pays 1 gas per byte of its contract's code
// before the first command; a call that cannot is out of gas, uses its
// whole gas limit and runs nothing (the tape stays as it was).
func TestCallPaysCodeLoad(t *testing.T) {
	g := testchain.Genesis()
	tc := testchain.New(t, g)
	miner := wallet.DevAddress(9)
	code := append(bytes.Repeat([]byte("comment "), 1000), '+') // 8,001 bytes
	deploy := testchain.Sign(t, g, 0, &proto.Tx{Kind: proto.KindDeploy, Data: code, GasLimit: 200_000})
	if err := tc.C.ProcessBlock(tc.MineOnHead(miner, deploy)); err != nil {
		t.Fatal(err)
	}
	addr := crypto.CreateAddress(wallet.DevAddress(0), 0)
	short := testchain.Sign(t, g, 0, &proto.Tx{Nonce: 1, Kind: proto.KindCall, To: addr, GasLimit: chain.TxGas + 8_000})
	enough := testchain.Sign(t, g, 0, &proto.Tx{Nonce: 2, Kind: proto.KindCall, To: addr, GasLimit: chain.TxGas + 8_005})
	if err := tc.C.ProcessBlock(tc.MineOnHead(miner, short, enough)); err != nil {
		t.Fatal(err)
	}
	r := receiptOf(t, tc.C, short).Receipt
	if r.Status != proto.StatusOutOfGas || r.ErrCode != proto.ErrCodeLoadOutOfGas || r.GasUsed != short.GasLimit || r.FaultAt != 0 {
		t.Fatalf("call short of its load gas: %+v", r)
	}
	r = receiptOf(t, tc.C, enough).Receipt
	if r.Status != proto.StatusOK || r.GasUsed != chain.TxGas+8_001+4 {
		t.Fatalf("call with its load gas: %+v", r)
	}
	if tape, _ := tc.C.Tape(addr); !bytes.Equal(tape, []byte{1}) {
		t.Fatalf("tape %x: the short call ran", tape)
	}
}

func TestContractReorgRestoresTape(t *testing.T) {
	g := testchain.Genesis()
	a := testchain.New(t, g)
	b := testchain.New(t, g)
	miner := wallet.DevAddress(9)
	deploy := testchain.Sign(t, g, 0, &proto.Tx{Kind: proto.KindDeploy, Data: []byte("+."), GasLimit: 100_000})
	blk1 := a.MineOnHead(miner, deploy)
	for _, tc := range []*testchain.Chain{a, b} {
		if err := tc.C.ProcessBlock(blk1); err != nil {
			t.Fatal(err)
		}
	}
	addr := crypto.CreateAddress(wallet.DevAddress(0), 0)
	call := testchain.Sign(t, g, 0, &proto.Tx{Nonce: 1, Kind: proto.KindCall, To: addr, GasLimit: 10_000})
	if err := a.C.ProcessBlock(a.MineOnHead(miner, call)); err != nil {
		t.Fatal(err)
	}
	if tape, _ := a.C.Tape(addr); !bytes.Equal(tape, []byte{1}) {
		t.Fatalf("tape %x", tape)
	}
	for i := 0; i < 2; i++ {
		blk := b.MineOnHead(wallet.DevAddress(8))
		if err := b.C.ProcessBlock(blk); err != nil {
			t.Fatal(err)
		}
		if err := a.C.ProcessBlock(blk); err != nil {
			t.Fatal(err)
		}
	}
	if a.C.Head().Hash != b.C.Head().Hash || a.C.Head().Header.StateRoot != b.C.Head().Header.StateRoot {
		t.Fatal("a did not follow the heavier chain")
	}
	if tape, _ := a.C.Tape(addr); len(tape) != 0 {
		t.Fatalf("tape after reorg %x, want empty", tape)
	}
}
