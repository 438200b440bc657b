package blockchain_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/chain/miner"
	"github.com/tinychain/tinychain/internal/testchain"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/vm"
	"github.com/tinychain/tinychain/wallet"
)

// signer signs txs from the ten dev keys, round robin, keeping nonces.
type signer struct {
	g      *chain.Genesis
	nonces [wallet.DevKeys]uint64
	next   int
}

func (s *signer) sign(tb testing.TB, tx *proto.Tx) *proto.Tx {
	from := s.next % wallet.DevKeys
	s.next++
	tx.ChainID, tx.GasPrice, tx.Nonce = s.g.ChainID, 1, s.nonces[from]
	s.nonces[from]++
	sig, err := wallet.Sign(tx.SigHash(), wallet.DevKey(from))
	if err != nil {
		tb.Fatal(err)
	}
	tx.Sig = sig
	return tx
}

// from is the sender of the last tx signed, and nonce its nonce.
func (s *signer) last() (common.Address, uint64) {
	k := (s.next - 1) % wallet.DevKeys
	return wallet.DevAddress(k), s.nonces[k] - 1
}

// mineAll mines txs on the head in as many blocks as they need (each as
// full as the limits allow) and processes them.
func mineAll(tb testing.TB, tc *testchain.Chain, txs []*proto.Tx) {
	tb.Helper()
	for len(txs) > 0 {
		tpl, err := tc.C.NewTemplate()
		if err != nil {
			tb.Fatal(err)
		}
		b, _, err := miner.Assemble(tpl, tc.G, wallet.DevAddress(9), tpl.Parent.Timestamp+uint64(tc.G.BlockIntervalMs), txs)
		tpl.Release()
		if err != nil || len(b.Txs) == 0 {
			tb.Fatalf("assemble: %v (%d txs)", err, len(b.Txs))
		}
		blk := tc.MineOnHead(wallet.DevAddress(9), b.Txs...)
		if err := tc.C.ProcessBlock(blk); err != nil {
			tb.Fatal(err)
		}
		txs = txs[len(b.Txs):]
	}
}

// worstCase is a block shape: setup returns the txs to mine first, then
// attack the txs of the block to validate (all must fit in one block).
type worstCase struct {
	name  string
	build func(tb testing.TB, s *signer) (setup [][]*proto.Tx, attack []*proto.Tx)
}

// worstCases are the most expensive blocks found per gas, each at the
// devnet's limits (50M gas, 2 MiB, 128 KiB txs).
var worstCases = []worstCase{
	// ~380 distinct 130 KB contracts, each called once with just its load
	// gas: every call misses the program cache and loads 130 KB of code
	// (not compiled: too little gas per byte).
	{"cold-big-contracts", func(tb testing.TB, s *signer) ([][]*proto.Tx, []*proto.Tx) {
		const size = 130_000
		n := int(s.g.BlockGasLimit / (chain.TxGas + size + 10))
		var deploys, calls []*proto.Tx
		for i := range n {
			code := append(append([]byte("["), bytes.Repeat([]byte("+>"), size/2-3)...), ']', byte('a'+i%26), byte('a'+i/26%26))
			deploys = append(deploys, s.sign(tb, &proto.Tx{Kind: proto.KindDeploy, Data: code, GasLimit: chain.TxGas + 16*uint64(len(code))}))
			from, nonce := s.last()
			addr := crypto.CreateAddress(from, nonce)
			calls = append(calls, &proto.Tx{Kind: proto.KindCall, To: addr, GasLimit: chain.TxGas + uint64(len(code)) + 10})
		}
		for i := range calls {
			calls[i] = s.sign(tb, calls[i])
		}
		return [][]*proto.Tx{deploys}, calls
	}},
	// One call with the gas to compile a 128 KB contract of the shape that
	// compiles slowest, then run a little.
	{"compile-big-contract", func(tb testing.TB, s *signer) ([][]*proto.Tx, []*proto.Tx) {
		code := append(bytes.Repeat([]byte("[+>"), 32_000), bytes.Repeat([]byte("]"), 32_000)...)
		dep := s.sign(tb, &proto.Tx{Kind: proto.KindDeploy, Data: code, GasLimit: chain.TxGas + 16*uint64(len(code))})
		from, nonce := s.last()
		call := s.sign(tb, &proto.Tx{Kind: proto.KindCall, To: crypto.CreateAddress(from, nonce), GasLimit: s.g.BlockGasLimit})
		return [][]*proto.Tx{{dep}}, []*proto.Tx{call}
	}},
	// A contract whose tape is full (30,000 cells) called as often as the
	// block's bytes allow, each call changing a cell: every call copies and
	// compares the tape.
	{"full-tape-calls", func(tb testing.TB, s *signer) ([][]*proto.Tx, []*proto.Tx) {
		code := []byte("+>,[>,]")
		dep := s.sign(tb, &proto.Tx{Kind: proto.KindDeploy, Data: code, GasLimit: 100_000})
		from, nonce := s.last()
		addr := crypto.CreateAddress(from, nonce)
		fill := s.sign(tb, &proto.Tx{Kind: proto.KindCall, To: addr, Data: bytes.Repeat([]byte{7}, 29_990), GasLimit: 1_000_000})
		// Each call pays the tape's load gas (about 30,000): as many as the
		// block's gas allows.
		var calls []*proto.Tx
		for gas := uint64(0); gas+31_100 <= s.g.BlockGasLimit; gas += 31_100 {
			calls = append(calls, s.sign(tb, &proto.Tx{Kind: proto.KindCall, To: addr, GasLimit: 31_100}))
		}
		return [][]*proto.Tx{{dep}, {fill}}, calls
	}},
	// The same contract called as often as the block's bytes allow with too
	// little gas for its tape: each fails before the tape is read.
	{"full-tape-short-calls", func(tb testing.TB, s *signer) ([][]*proto.Tx, []*proto.Tx) {
		code := []byte("+>,[>,]")
		dep := s.sign(tb, &proto.Tx{Kind: proto.KindDeploy, Data: code, GasLimit: 100_000})
		from, nonce := s.last()
		addr := crypto.CreateAddress(from, nonce)
		fill := s.sign(tb, &proto.Tx{Kind: proto.KindCall, To: addr, Data: bytes.Repeat([]byte{7}, 29_990), GasLimit: 1_000_000})
		var calls []*proto.Tx
		for size := 0; size+200 < s.g.MaxBlockBytes; {
			tx := s.sign(tb, &proto.Tx{Kind: proto.KindCall, To: addr, GasLimit: chain.TxGas + 100})
			size += len(tx.Encode())
			calls = append(calls, tx)
		}
		return [][]*proto.Tx{{dep}, {fill}}, calls
	}},
	// For scale: a block of plain transfers as its bytes allow.
	{"transfers", func(tb testing.TB, s *signer) ([][]*proto.Tx, []*proto.Tx) {
		var txs []*proto.Tx
		for size := 0; size+200 < s.g.MaxBlockBytes; {
			tx := s.sign(tb, &proto.Tx{Kind: proto.KindTransfer, To: common.Address{1}, Value: 1, GasLimit: chain.TxGas})
			size += len(tx.Encode())
			txs = append(txs, tx)
		}
		return nil, txs
	}},
	// Execs that output as much as they can ("+[.]"): 17 gas a byte kept
	// in the receipts.
	{"output", func(tb testing.TB, s *signer) ([][]*proto.Tx, []*proto.Tx) {
		var txs []*proto.Tx
		for gas := uint64(0); gas+1_200_000 <= s.g.BlockGasLimit; gas += 1_200_000 {
			txs = append(txs, s.sign(tb, &proto.Tx{Kind: proto.KindExec, Data: []byte("+[.]"), GasLimit: 1_200_000}))
		}
		return nil, txs
	}},
	// Calls of a 1 KB contract with too little gas per byte to compile it,
	// so it runs on the plain interpreter, one gas per command, until it
	// runs out.
	{"plain-interpreted", func(tb testing.TB, s *signer) ([][]*proto.Tx, []*proto.Tx) {
		code := append(append([]byte("+["), bytes.Repeat([]byte("><"), 500)...), ']')
		dep := s.sign(tb, &proto.Tx{Kind: proto.KindDeploy, Data: code, GasLimit: 100_000})
		from, nonce := s.last()
		addr := crypto.CreateAddress(from, nonce)
		var txs []*proto.Tx
		gas := uint64((vm.CompileRatio - 1) * len(code))
		for total := uint64(0); total+gas <= s.g.BlockGasLimit; total += gas {
			txs = append(txs, s.sign(tb, &proto.Tx{Kind: proto.KindCall, To: addr, GasLimit: gas}))
		}
		return [][]*proto.Tx{{dep}}, txs
	}},
}

// BenchmarkWorstBlock validates a block at the gas limit of each worst
// case, decoded from bytes (so its senders are recovered) on a chain in a
// real LevelDB: ProcessBlock, the validator's whole path. ms/block counts
// the signature recoveries too (19,000 of them in a 2 MiB block of calls,
// as in a block of transfers); ms/block-senders-known leaves them out, as
// for a block whose txs the mempool had checked. Run on one core:
//
//	go test ./chain -run X -bench WorstBlock -benchtime 3x -cpu 1
func BenchmarkWorstBlock(b *testing.B) {
	for _, wc := range worstCases {
		b.Run(wc.name, func(b *testing.B) {
			g := testchain.Genesis()
			s := &signer{g: g}
			setup, attack := wc.build(b, s)
			dir := b.TempDir()
			tc := testchain.Open(b, g, dir)
			for _, txs := range setup {
				mineAll(b, tc, txs)
			}
			tpl, err := tc.C.NewTemplate()
			if err != nil {
				b.Fatal(err)
			}
			fit, _, err := miner.Assemble(tpl, g, wallet.DevAddress(8), tpl.Parent.Timestamp+uint64(g.BlockIntervalMs), attack)
			tpl.Release()
			if err != nil {
				b.Fatal(err)
			}
			blk := tc.MineOnHead(wallet.DevAddress(8), fit.Txs...) // what fits the limits
			enc := blk.Encode()
			rs := mustReceipts(b, tc, blk)
			tc.C.Close()
			var gas uint64
			for _, r := range rs {
				gas += r.GasUsed
			}
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				fresh := filepath.Join(b.TempDir(), "db")
				if err := os.CopyFS(fresh, os.DirFS(dir)); err != nil {
					b.Fatal(err)
				}
				c := testchain.Open(b, g, fresh)
				wire, err := proto.DecodeBlock(enc)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				start := time.Now()
				chain.RecoverSenders(wire.Txs) // what ProcessBlock would do first
				rec := time.Since(start)
				if err := c.C.ProcessBlock(wire); err != nil {
					b.Fatal(err)
				}
				el := time.Since(start)
				b.StopTimer()
				if c.C.Head().Hash != blk.Hash() {
					b.Fatal("the block did not connect")
				}
				c.C.Close()
				b.ReportMetric(float64(el.Milliseconds()), "ms/block")
				b.ReportMetric(float64((el - rec).Milliseconds()), "ms/block-senders-known")
				b.StartTimer()
			}
			b.ReportMetric(float64(gas)/1e6, "Mgas")
			b.ReportMetric(float64(len(blk.Txs)), "txs")
			b.ReportMetric(float64(len(enc)), "bytes")
			b.Logf("%s: %d txs, %d bytes, %d gas, receipt[0] %s %s", wc.name, len(blk.Txs), len(enc), gas, rs[0].Status, rs[0].ErrorText())
		})
	}
}

// mustReceipts executes blk on the head state (without connecting it)
// and returns its receipts.
func mustReceipts(tb testing.TB, tc *testchain.Chain, blk *proto.Block) []*proto.Receipt {
	tb.Helper()
	tpl, err := tc.C.NewTemplate()
	if err != nil {
		tb.Fatal(err)
	}
	defer tpl.Release()
	_, rs, err := miner.Assemble(tpl, tc.G, blk.Header.Miner, blk.Header.Timestamp, blk.Txs)
	if err != nil || len(rs) != len(blk.Txs) {
		tb.Fatal(fmt.Errorf("assemble: %v, %d receipts for %d txs", err, len(rs), len(blk.Txs)))
	}
	return rs
}
