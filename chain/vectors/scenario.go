package vectors

import (
	"crypto/ecdsa"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/chain/blockchain"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/wallet"
)

// Generate builds the suite.
func Generate() (*Suite, error) {
	g := Genesis()
	gb, err := blockchain.GenesisBlock(g)
	if err != nil {
		return nil, err
	}
	st := state{}
	for a, v := range g.Alloc {
		st[a] = proto.Account{Balance: uint64(v)}
	}
	gn := &gen{g: g, nodes: map[string]*node{"genesis": {name: "genesis", block: gb, state: st}},
		s: &Suite{Genesis: g, NowMs: g.Timestamp + 200*intervalMs}, effects: map[common.Hash]effect{}}
	gn.mainLine()
	gn.blockRules()
	gn.txRules()
	gn.forks()
	gn.contracts()
	gn.timestamps()
	return gn.s, nil
}

// mainLine: b1..b3, plain valid blocks.
func (gn *gen) mainLine() {
	gn.expect(gn.build("b1", "genesis", []*proto.Tx{gn.tx("genesis", 0, addr(0xa1), 1000)}), Accepted, "", "b1")
	gn.expect(gn.build("b2", "b1", []*proto.Tx{gn.tx("b1", 1, addr(0xa2), 2000), gn.tx("b1", 2, addr(0xa1), 3)}), Accepted, "", "b2")
	gn.expect(gn.build("b3", "b2", nil), Accepted, "", "b3")
}

// blockRules: each block rule broken once on top of b3, with the
// boundary case that passes.
func (gn *gen) blockRules() {
	rej := func(name, code string, txs []*proto.Tx, m ...opt) {
		gn.expect(gn.build(name, "b3", txs, m...), Rejected, code, "b3")
	}
	padded := func(parent string, dataLen int) *proto.Tx {
		return gn.tx(parent, 3, addr(0xa3), 1, func(tx *proto.Tx) { tx.Data = make([]byte, dataLen) })
	}
	// max_block_bytes: four padded txs; grow the last until the block is
	// exactly at the limit (accepted, later), and one byte over (rejected).
	pad := func(size int) []*proto.Tx {
		var txs []*proto.Tx
		for i := 0; i < 3; i++ {
			txs = append(txs, gn.tx("b3", 4+i, addr(0xa4), 1, func(tx *proto.Tx) { tx.Data = make([]byte, 400) }))
		}
		for n := 0; ; n++ {
			last := padded("b3", n)
			b := &proto.Block{Header: gn.nodes["b3"].block.Header, Txs: append(append([]*proto.Tx{}, txs...), last)}
			b.Header.Nonce = 1 << 56
			if b.Size() >= size {
				must(b.Size() == size, "cannot pad a block to %d bytes", size)
				return b.Txs
			}
		}
	}
	rej("too-big", "block-too-big", pad(g(gn).MaxBlockBytes+1))
	rej("bad-version", "bad-version", nil, func(b *proto.Block) { b.Header.Version = 2 })
	rej("height-zero", "bad-genesis", nil, func(b *proto.Block) { b.Header.Height = 0 })
	rej("target-above-limit", "bad-target", nil, func(b *proto.Block) {
		b.Header.Target = common.BigToHash(new(big.Int).Add(gn.g.PowLimit.ToInt(), big.NewInt(1)))
	})
	rej("bad-pow", "bad-pow", nil, badPoW)
	rej("bad-tx-root", "bad-tx-root", []*proto.Tx{gn.tx("b3", 0, addr(1), 1)}, func(b *proto.Block) { b.Header.TxRoot[0] ^= 1 })
	dup := gn.tx("b3", 0, addr(1), 1)
	rej("duplicate-tx", "duplicate-tx", []*proto.Tx{dup, dup})
	rej("bad-height", "bad-height", nil, func(b *proto.Block) { b.Header.Height++ })
	rej("asert-target-minus-1", "bad-target", nil, func(b *proto.Block) {
		b.Header.Target = common.BigToHash(new(big.Int).Sub(b.Header.TargetBig(), big.NewInt(1)))
	})
	rej("asert-target-plus-1", "bad-target", nil, func(b *proto.Block) {
		b.Header.Target = common.BigToHash(new(big.Int).Add(b.Header.TargetBig(), big.NewInt(1)))
	})
	rej("bad-state-root", "bad-state-root", []*proto.Tx{gn.tx("b3", 0, addr(1), 1)}, func(b *proto.Block) { b.Header.StateRoot[5] ^= 1 })
	rej("bad-receipts-root", "bad-receipts-root", []*proto.Tx{gn.tx("b3", 0, addr(1), 1)}, func(b *proto.Block) { b.Header.ReceiptsRoot[5] ^= 1 })
	// block gas: each tx needs its gas limit left in the block; the pool
	// falls by the gas used (1,000 a transfer).
	limits := func(ls ...uint64) []*proto.Tx {
		var txs []*proto.Tx
		for i, l := range ls {
			txs = append(txs, gn.tx("b3", 5+i, addr(0xa5), 1, func(tx *proto.Tx) { tx.GasLimit = l }))
		}
		return txs
	}
	rej("gas-over", "block-gas-limit", limits(40_000, 39_000, 38_001))
	gn.expect(gn.build("gas-exact", "b3", limits(40_000, 39_000, 38_000)), Accepted, "", "gas-exact")
	gn.expect(gn.build("size-exact", "gas-exact", gn.padFrom("gas-exact", gn.g.MaxBlockBytes)), Accepted, "", "size-exact")
}

func g(gn *gen) *chain.Genesis { return gn.g }

// padFrom returns txs on parent that make a block of exactly size bytes.
func (gn *gen) padFrom(parent string, size int) []*proto.Tx {
	var txs []*proto.Tx
	for i := 0; i < 3; i++ {
		txs = append(txs, gn.tx(parent, 4+i, addr(0xa4), 1, func(tx *proto.Tx) { tx.Data = make([]byte, 400) }))
	}
	for n := 0; ; n++ {
		last := gn.tx(parent, 3, addr(0xa3), 1, func(tx *proto.Tx) { tx.Data = make([]byte, n) })
		all := append(append([]*proto.Tx{}, txs...), last)
		b := &proto.Block{Header: gn.nodes[parent].block.Header, Txs: all}
		b.Header.Nonce = 1 << 56
		if b.Size() >= size {
			must(b.Size() == size, "cannot pad a block to %d bytes", size)
			return all
		}
	}
}

// txRules: each transaction rule broken once in a block on size-exact.
func (gn *gen) txRules() {
	const tip = "size-exact"
	rej := func(name, code string, tx *proto.Tx) {
		gn.expect(gn.build(name, tip, []*proto.Tx{tx}), Rejected, code, tip)
	}
	rej("tx-too-big", "tx-too-big", gn.tx(tip, 0, addr(1), 1, func(tx *proto.Tx) { tx.Data = make([]byte, 600) }))
	rej("bad-chain-id", "bad-chain-id", gn.tx(tip, 0, addr(1), 1, func(tx *proto.Tx) { tx.ChainID++ }))
	rej("bad-kind", "bad-kind", gn.tx(tip, 0, addr(1), 1, func(tx *proto.Tx) { tx.Kind = 9 }))
	rej("transfer-to-zero", "bad-to", gn.tx(tip, 0, common.Address{}, 1))
	rej("deploy-with-to", "bad-to", gn.tx(tip, 0, addr(1), 0, func(tx *proto.Tx) { tx.Kind = proto.KindDeploy; tx.Data = []byte("+") }))
	rej("exec-with-value", "bad-value", gn.tx(tip, 0, common.Address{}, 5, func(tx *proto.Tx) { tx.Kind = proto.KindExec; tx.Data = []byte("+") }))
	rej("deploy-unbalanced", "bad-code", gn.tx(tip, 0, common.Address{}, 0, func(tx *proto.Tx) { tx.Kind = proto.KindDeploy; tx.Data = []byte("[") }))
	rej("gas-price-below-min", "gas-price-too-low", gn.tx(tip, 0, addr(1), 1, func(tx *proto.Tx) { tx.GasPrice = 0 }))
	rej("gas-below-intrinsic", "intrinsic-gas", gn.tx(tip, 0, addr(1), 1, func(tx *proto.Tx) { tx.GasLimit = txGas - 1 }))
	rej("tx-gas-above-block", "block-gas-limit", gn.tx(tip, 0, addr(1), 1, func(tx *proto.Tx) { tx.GasLimit = 40_001 }))
	rej("cost-overflow", "overflow", gn.tx(tip, 0, addr(1), ^uint64(0)))
	// Signatures: the high-S twin of a valid signature, and V = 2.
	high := gn.tx(tip, 0, addr(1), 1)
	n := crypto.S256().Params().N
	new(big.Int).Sub(n, new(big.Int).SetBytes(high.Sig[32:64])).FillBytes(high.Sig[32:64])
	high.Sig[64] ^= 1
	rej("high-s", "bad-signature", high)
	badV := gn.tx(tip, 0, addr(1), 1)
	badV.Sig[64] = 2
	rej("bad-v", "bad-signature", badV)
	// Rules against the state.
	rej("nonce-too-low", "nonce-too-low", gn.tx(tip, 0, addr(1), 1, func(tx *proto.Tx) { tx.Nonce-- }))
	rej("nonce-gap", "nonce-too-high", gn.tx(tip, 0, addr(1), 1, func(tx *proto.Tx) { tx.Nonce++ }))
	rej("balance-overflow", "overflow", gn.tx(tip, 0, richAddr, 2000))
	// Funds: a fresh key gets exactly value + fee for one transfer.
	fresh := freshKey()
	fund := gn.tx(tip, 1, wallet.KeyAddress(fresh), 500+txGas)
	gn.expect(gn.build("fund-fresh", tip, []*proto.Tx{fund}), Accepted, "", "fund-fresh")
	over := gn.txFrom("fund-fresh", fresh, addr(0xa6), 501)
	gn.expect(gn.build("insufficient-funds", "fund-fresh", []*proto.Tx{over}), Rejected, "insufficient-funds", "fund-fresh")
	exact := gn.txFrom("fund-fresh", fresh, addr(0xa6), 500)
	gn.expect(gn.build("exact-funds", "fund-fresh", []*proto.Tx{exact}), Accepted, "", "exact-funds")
}

// freshKey is a fixed key that holds nothing at genesis.
func freshKey() *ecdsa.PrivateKey {
	k, err := crypto.ToECDSA(crypto.Keccak256([]byte("tinychain vectors fresh key")))
	if err != nil {
		panic(err)
	}
	return k
}

// forks: equal work, reorg, reorg back, an invalid block inside a heavier
// branch, a child of an invalid block, orphans child first, a duplicate,
// and a deep reorg across many target changes.
func (gn *gen) forks() {
	const base = "exact-funds"
	// f1 on base; g1 its sibling with equal work: the first seen stays.
	gn.expect(gn.build("f1", base, []*proto.Tx{gn.tx(base, 0, addr(0xb1), 7)}), Accepted, "", "f1")
	gn.expect(gn.build("g1", base, []*proto.Tx{gn.tx(base, 1, addr(0xb2), 8)}), Accepted, "", "f1")
	gn.expect(gn.build("g2", "g1", nil), Accepted, "", "g2")                                        // reorg
	gn.expect(gn.build("f2", "f1", nil), Accepted, "", "g2")                                        // equal again
	gn.expect(gn.build("f3", "f2", []*proto.Tx{gn.tx("f2", 2, addr(0xb3), 9)}), Accepted, "", "f3") // reorg back
	// h: a heavier branch from f2 whose second block is invalid. Trying
	// it connects h1 and fails on h2; h1 has f3's work and f3 was seen
	// first, so the head returns to f3.
	gn.expect(gn.build("h1", "f2", nil), Accepted, "", "f3")
	gn.expect(gn.build("h2", "h1", nil, func(b *proto.Block) { b.Header.StateRoot[0] ^= 1 }), Rejected, "bad-state-root", "f3")
	gn.expect(gn.build("h3", "h2", nil), Rejected, "invalid-ancestor", "f3")
	// Orphans, child first: o3, o2 wait as headers only (a repeat is a
	// duplicate); o1 connects alone, and o2, o3 connect when they come
	// again whole (a node's sync fetches them from their sender).
	o1 := gn.build("o1", "f3", nil)
	o2 := gn.build("o2", "o1", []*proto.Tx{gn.tx("o1", 3, addr(0xb4), 10)})
	o3 := gn.build("o3", "o2", nil)
	gn.expect(o3, Orphan, "", "f3")
	gn.expect(o2, Orphan, "", "f3")
	gn.expect(o2, Duplicate, "", "f3")
	gn.expect(o1, Accepted, "", "o1")
	gn.expect(o1, Duplicate, "", "o1")
	gn.expect(o2, Accepted, "", "o2")
	gn.expect(o3, Accepted, "", "o3")
	// A deep reorg: a branch from f3 whose blocks come early and late in
	// turn, so that ASERT changes the target of nearly every block, grows
	// one block longer than the main line built meanwhile.
	prev := "o3"
	for i := 0; i < 30; i++ {
		name := "m" + itoa(i)
		gn.expect(gn.build(name, prev, nil), Accepted, "", name)
		prev = name
	}
	side := "f3"
	for i := 0; i < 40; i++ {
		name := "d" + itoa(i)
		shift := int64((i%5)*700) - 1400 // -1.4 s .. +1.4 s from schedule
		gn.build(name, side, nil, func(b *proto.Block) {
			b.Header.Timestamp = uint64(int64(b.Header.Timestamp) + shift)
		})
		gn.expectDeep(name)
		side = name
	}
	must(gn.s.lastHeadName(gn) == side, "the deep branch did not win")
	// k: a heavier branch from d38 whose third block is invalid; its valid
	// prefix k1-k2 outweighs d39, so the head ends on k2.
	gn.expect(gn.build("k1", "d38", nil), Accepted, "", "d39")
	gn.expect(gn.build("k2", "k1", nil), Accepted, "", "k2")
	gn.expect(gn.build("k3", "k2", []*proto.Tx{gn.tx("k2", 0, addr(0xb5), 1, func(tx *proto.Tx) { tx.Value = 1 << 62 })}), Rejected, "insufficient-funds", "k2")
	gn.expect(gn.build("k4", "k3", nil), Rejected, "invalid-ancestor", "k2")
}

// expectDeep records a deep-reorg block; the head is whichever chain has
// more work (the first seen on a tie), computed from the targets.
func (gn *gen) expectDeep(name string) {
	n := gn.nodes[name]
	main := gn.nodes[gn.s.lastHeadName(gn)]
	head := main
	if work(n).Cmp(work(main)) > 0 {
		head = n
	}
	gn.expect(n, Accepted, "", head.name)
}

// lastHeadName is the name of the head after the last step.
func (s *Suite) lastHeadName(gn *gen) string {
	last := s.Vectors[len(s.Vectors)-1].Head
	for name, n := range gn.nodes {
		if n.block.Hash() == last {
			return name
		}
	}
	panic("vectors: head not found")
}

// work is the cumulative work of n's chain.
func work(n *node) *big.Int {
	w := new(big.Int)
	for p := n; p != nil; p = p.parent {
		w.Add(w, chain.CalcWork(p.header().TargetBig()))
	}
	return w
}

// timestamps: the median-time rule and the future rule, at the end of
// the suite because the future blocks leave the clock behind.
func (gn *gen) timestamps() {
	tip := gn.s.lastHeadName(gn)
	mtp := median(gn.nodes[tip].prevTimes())
	gn.expect(gn.build("time-at-median", tip, nil, func(b *proto.Block) { b.Header.Timestamp = mtp }), Rejected, "time-too-old", tip)
	gn.expect(gn.build("time-median-plus-1", tip, nil, func(b *proto.Block) { b.Header.Timestamp = mtp + 1 }), Accepted, "", "time-median-plus-1")
	// The future rule, against the suite's clock.
	limit := gn.s.NowMs + maxFutureMs
	gn.expect(gn.build("future-at-limit", "time-median-plus-1", nil, func(b *proto.Block) { b.Header.Timestamp = limit }), Accepted, "", "future-at-limit")
	// Beyond twice max_future_ms a block is refused, not held.
	horizon := gn.s.NowMs + 2*maxFutureMs
	gn.expect(gn.build("future-refused", "future-at-limit", nil, func(b *proto.Block) { b.Header.Timestamp = horizon + 1 }), FutureRefused, "", "future-at-limit")
	held := gn.build("future-held", "future-at-limit", nil, func(b *proto.Block) { b.Header.Timestamp = limit + 1 })
	gn.expect(held, Future, "", "future-at-limit")
	gn.expect(held, Duplicate, "", "future-at-limit")
	gn.s.Vectors = append(gn.s.Vectors, Vector{Name: "clock+1ms", Outcome: Retry, AdvanceClockMs: 1,
		Head: held.block.Hash(), Height: held.header().Height})
}

func itoa(i int) string { return big.NewInt(int64(i)).String() }
