package vectors

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/wallet"
)

// The VM's gas, declared again on purpose: 1 per command, 3 more for
// + - , and 16 more for . (its byte is kept in the receipt); a call pays 1
// per byte of its contract's code, and a call or exec 1 per byte of the
// stored tape it starts from, before the first command.
const (
	gasStep     = 1
	gasWrite    = 3
	gasOut      = 16
	gasCodeByte = 1
	gasTapeByte = 1
)

// contracts: deploys, calls and execs with their exact gas, outputs,
// tapes and error codes worked out by hand, on the head the suite has
// reached. A block whose receipts root commits to the wrong fault
// position is rejected: the position is consensus, not decoration.
func (gn *gen) contracts() {
	tip := gn.s.lastHeadName(gn)
	from := wallet.DevAddress(0)
	nonce := gn.nodes[tip].state[from].Nonce
	kind := func(k proto.TxKind, to common.Address, data []byte, gasLimit, value uint64) func(*proto.Tx) {
		return func(tx *proto.Tx) {
			tx.Kind, tx.To, tx.Data, tx.Value = k, to, data, value
			if gasLimit != 0 {
				tx.GasLimit = gasLimit
			}
		}
	}
	intrinsic := func(data []byte) uint64 { return txGas + txDataGas*uint64(len(data)) }
	expect := func(tx *proto.Tx, r proto.Receipt, tape []byte) *proto.Tx {
		gn.effects[tx.Hash()] = effect{receipt: r, tape: tape}
		return tx
	}
	ok := func(gas uint64, out ...byte) proto.Receipt {
		return proto.Receipt{Status: proto.StatusOK, GasUsed: gas, Output: out}
	}

	// c1: deploy a counter "+." (with value) and a faulting "+<".
	counter, faulty := []byte("+."), []byte("+<")
	counterAddr, faultyAddr := crypto.CreateAddress(from, nonce), crypto.CreateAddress(from, nonce+1)
	d1 := expect(gn.tx(tip, 0, common.Address{}, 5, kind(proto.KindDeploy, common.Address{}, counter, 0, 5)), ok(intrinsic(counter)), nil)
	d2 := expect(gn.tx(tip, 0, common.Address{}, 0, kind(proto.KindDeploy, common.Address{}, faulty, 0, 0), func(tx *proto.Tx) { tx.Nonce++ }), ok(intrinsic(faulty)), nil)
	gn.expect(gn.build("c1-deploy", tip, []*proto.Tx{d1, d2}), Accepted, "", "c1-deploy")

	// c2: two calls of the counter (load 2, + 4, . 17; the second also
	// loads the 1-cell tape the first left), an exec "+.>." on the world
	// tape, all ok.
	callGas := uint64(txGas + 2*gasCodeByte + (gasStep + gasWrite) + (gasStep + gasOut))
	c1 := expect(gn.tx("c1-deploy", 0, counterAddr, 0, kind(proto.KindCall, counterAddr, nil, 2_000, 0)), ok(callGas, 1), []byte{1})
	c2 := expect(gn.tx("c1-deploy", 0, counterAddr, 3, kind(proto.KindCall, counterAddr, nil, 2_000, 3), func(tx *proto.Tx) { tx.Nonce++ }), ok(callGas+1*gasTapeByte, 2), []byte{2})
	exec := []byte("+.>.")
	e1 := expect(gn.tx("c1-deploy", 0, common.Address{}, 0, kind(proto.KindExec, common.Address{}, exec, 2_000, 0), func(tx *proto.Tx) { tx.Nonce += 2 }),
		ok(intrinsic(exec)+(gasStep+gasWrite)+(gasStep+gasOut)+gasStep+(gasStep+gasOut), 1, 0), []byte{1})
	gn.expect(gn.build("c2-calls", "c1-deploy", []*proto.Tx{c1, c2, e1}), Accepted, "", "c2-calls")

	// c3: the failures, each with its code and position: a tape fault at
	// byte 1 of "+<" (load 2, + 4, < 1); a call one gas short of its load
	// gas (uses its whole limit); an exec "+[]" out of gas at its ] (byte
	// 2) after loading the 1-cell world tape, then 4 + 1 + 46 gas; a call
	// of an address without code.
	fails := []*proto.Tx{
		expect(gn.tx("c2-calls", 0, faultyAddr, 0, kind(proto.KindCall, faultyAddr, nil, 2_000, 0)),
			proto.Receipt{Status: proto.StatusFault, GasUsed: txGas + 2 + 4 + 1, ErrCode: proto.ErrCodeTapeLeft, FaultAt: 1}, nil),
		expect(gn.tx("c2-calls", 0, counterAddr, 0, kind(proto.KindCall, counterAddr, nil, txGas+1, 0), func(tx *proto.Tx) { tx.Nonce++ }),
			proto.Receipt{Status: proto.StatusOutOfGas, GasUsed: txGas + 1, ErrCode: proto.ErrCodeLoadOutOfGas}, nil),
		expect(gn.tx("c2-calls", 0, common.Address{}, 0, kind(proto.KindExec, common.Address{}, []byte("+[]"), 1_100, 0), func(tx *proto.Tx) { tx.Nonce += 2 }),
			proto.Receipt{Status: proto.StatusOutOfGas, GasUsed: 1_100, ErrCode: proto.ErrCodeOutOfGas, FaultAt: 2}, nil),
		expect(gn.tx("c2-calls", 0, addr(0xc0), 0, kind(proto.KindCall, addr(0xc0), nil, 0, 0), func(tx *proto.Tx) { tx.Nonce += 3 }),
			proto.Receipt{Status: proto.StatusFault, GasUsed: txGas, ErrCode: proto.ErrCodeNoContract}, nil),
	}
	gn.expect(gn.build("c3-wrong-fault-at", "c2-calls", fails, func(b *proto.Block) {
		rs := receipts(b.Txs, gn.effects)
		rs[0].FaultAt++
		b.Header.ReceiptsRoot = chain.ReceiptsRoot(rs)
	}), Rejected, "bad-receipts-root", "c2-calls")
	gn.expect(gn.build("c3-faults", "c2-calls", fails), Accepted, "", "c3-faults")
}
