package mempool_test

import (
	"crypto/ecdsa"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/chain/mempool"
	"github.com/tinychain/tinychain/internal/testchain"
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
	g := testchain.Genesis()
	tc := testchain.New(t, g)
	mp := mempool.New(tc.C, mempool.Config{MaxTxs: 3})
	if err := mp.Add(pricedTransfer(t, g, 0, 0, 10)); err != nil {
		t.Fatal(err)
	}
	// Same nonce: 10% more is needed (10 -> 11), 10 -> 10 is not enough.
	if err := mp.Add(pricedTransfer(t, g, 0, 0, 10)); !errors.Is(err, mempool.ErrKnownTx) {
		t.Fatalf("same tx: %v", err)
	}
	if err := mp.Add(pricedTransfer(t, g, 0, 0, 10) /* same */); err == nil {
		t.Fatal("duplicate accepted")
	}
	under := pricedTransfer(t, g, 0, 0, 10)
	under.Value = 2 // a different tx with the same nonce and price
	under.Sig, _ = wallet.Sign(under.SigHash(), wallet.DevKey(0))
	if err := mp.Add(under); !errors.Is(err, mempool.ErrReplaceUnderpriced) {
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
	if err := mp.Add(pricedTransfer(t, g, 1, mempool.MaxNonceGap+1, 5)); chain.CodeOf(err) != chain.ErrNonceTooHigh {
		t.Fatalf("gap: %v", err)
	}
	// Full (3): the cheapest goes when a better one comes; a cheaper one is refused.
	mp.Add(pricedTransfer(t, g, 1, 0, 5))
	mp.Add(pricedTransfer(t, g, 2, 0, 7))
	if err := mp.Add(pricedTransfer(t, g, 3, 0, 4)); !errors.Is(err, mempool.ErrMempoolFull) {
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
	g := testchain.Genesis()
	a := testchain.New(t, g)
	b := testchain.New(t, g)
	mp := mempool.New(a.C, mempool.Config{})
	tx := pricedTransfer(t, g, 0, 0, 1)
	if err := mp.Add(tx); err != nil {
		t.Fatal(err)
	}
	blk := a.MineOnHead(wallet.DevAddress(9), tx)
	if err := a.C.ProcessBlock(blk); err != nil {
		t.Fatal(err)
	}
	if mp.Get(tx.Hash()) != nil {
		t.Fatal("an included tx stayed in the mempool")
	}
	for i := 0; i < 2; i++ {
		other := b.MineOnHead(wallet.DevAddress(8))
		b.C.ProcessBlock(other)
		if err := a.C.ProcessBlock(other); err != nil {
			t.Fatal(err)
		}
	}
	if a.C.Head().Hash != b.C.Head().Hash {
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
	g := testchain.Genesis()
	tc := testchain.New(t, g)
	mp := mempool.New(tc.C, mempool.Config{})
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

// keyTx signs a transfer from key with the given nonce, value and price.
func keyTx(g *chain.Genesis, key *ecdsa.PrivateKey, nonce, value, price uint64, data int) *proto.Tx {
	tx := &proto.Tx{ChainID: g.ChainID, Nonce: nonce, Kind: proto.KindTransfer, To: common.HexToAddress("0x0e"), Value: value,
		Data: make([]byte, data), GasLimit: chain.TxGas + uint64(data)*chain.TxDataGasByte, GasPrice: price}
	tx.Sig, _ = wallet.Sign(tx.SigHash(), key)
	return tx
}

// fundKey mines a block that gives a fresh key amount, and returns the key.
func fundKey(t *testing.T, tc *testchain.Chain, amount uint64) *ecdsa.PrivateKey {
	t.Helper()
	key, _ := crypto.GenerateKey()
	acct, _ := tc.C.Account(wallet.DevAddress(9))
	fund := &proto.Tx{ChainID: tc.G.ChainID, Nonce: acct.Nonce, Kind: proto.KindTransfer, To: crypto.PubkeyToAddress(key.PublicKey),
		Value: amount, GasLimit: chain.TxGas, GasPrice: 1}
	fund.Sig, _ = wallet.Sign(fund.SigHash(), wallet.DevKey(9))
	if err := tc.C.ProcessBlock(tc.MineOnHead(wallet.DevAddress(8), fund)); err != nil {
		t.Fatal(err)
	}
	return key
}

// costOf returns the total cost of sender's txs among txs.
func costOf(t *testing.T, mp *mempool.Mempool, sender common.Address, txs []*proto.Tx) (sum uint64, n int) {
	for _, tx := range txs {
		if from, _ := chain.Sender(tx); from == sender && mp.Get(tx.Hash()) != nil {
			c, _ := tx.Cost()
			sum += c
			n++
		}
	}
	return sum, n
}

// TestMempoolCostCapAnyOrder: a sender funded for one tx sends 65 txs
// that each spend all of it, nonces high to low (attack 6). At no time do
// its txs in the pool cost more than its balance, and not one honest tx
// of a full pool is evicted; sent low to high, the second is refused.
func TestMempoolCostCapAnyOrder(t *testing.T) {
	g := testchain.Genesis()
	tc := testchain.New(t, g)
	one := uint64(chain.TxGas * 2) // a transfer at price 2, value 0
	atk := fundKey(t, tc, one)
	atkAddr := crypto.PubkeyToAddress(atk.PublicKey)
	mp := mempool.New(tc.C, mempool.Config{MaxTxs: 100})
	var honest []*proto.Tx
	for k := 0; len(honest) < 99; k++ {
		for n := uint64(0); n < 11 && len(honest) < 99; n++ {
			tx := pricedTransfer(t, g, k, n, 1)
			if err := mp.Add(tx); err != nil {
				t.Fatal(err)
			}
			honest = append(honest, tx)
		}
	}
	var sent []*proto.Tx
	for n := int64(mempool.MaxNonceGap); n >= 0; n-- {
		tx := keyTx(g, atk, uint64(n), 0, 2, 0)
		sent = append(sent, tx)
		if err := mp.Add(tx); err != nil {
			t.Fatalf("nonce %d: %v", n, err)
		}
		if sum, k := costOf(t, mp, atkAddr, sent); sum > one || k != 1 {
			t.Fatalf("after nonce %d: %d txs of the sender cost %d, its balance is %d", n, k, sum, one)
		}
		if c, _ := mp.Stats(); c > 100 {
			t.Fatalf("pool of %d txs over its bound", c)
		}
	}
	for _, tx := range honest {
		if mp.Get(tx.Hash()) == nil {
			t.Fatalf("honest tx %s evicted", tx.Hash())
		}
	}
	if d, ok := mp.Dropped(sent[0].Hash()); !ok || !strings.Contains(d.Reason, "insufficient funds for the pending set") {
		t.Fatalf("the displaced nonce 64: %+v %v", d, ok)
	}
	// Low to high: the second nonce does not fit with the first.
	mp2 := mempool.New(tc.C, mempool.Config{})
	if err := mp2.Add(keyTx(g, atk, 0, 0, 2, 0)); err != nil {
		t.Fatal(err)
	}
	err := mp2.Add(keyTx(g, atk, 1, 0, 2, 0))
	if chain.CodeOf(err) != chain.ErrInsufficientFunds || !strings.Contains(err.Error(), "insufficient funds for the pending set") {
		t.Fatalf("second unaffordable tx: %v", err)
	}
}

// TestMempoolAffordabilityAfterBlock: a block spends a sender's funds with
// a tx the pool never saw; its pool txs that are no longer affordable
// leave with a reason, the ones still paid for stay.
func TestMempoolAffordabilityAfterBlock(t *testing.T) {
	g := testchain.Genesis()
	tc := testchain.New(t, g)
	key := fundKey(t, tc, 10*chain.TxGas)
	mp := mempool.New(tc.C, mempool.Config{})
	var txs []*proto.Tx
	for n := uint64(0); n < 4; n++ { // 4 × (1000 + 1000) = 8000 of 10000
		txs = append(txs, keyTx(g, key, n, chain.TxGas, 1, 0))
		if err := mp.Add(txs[n]); err != nil {
			t.Fatal(err)
		}
	}
	// Elsewhere the sender spent 5000 with nonce 0: 4000 left, which pays
	// for nonces 1 and 2 of the pool (2000 each), not 3.
	spend := keyTx(g, key, 0, 4*chain.TxGas, 1, 0)
	if err := tc.C.ProcessBlock(tc.MineOnHead(wallet.DevAddress(8), spend)); err != nil {
		t.Fatal(err)
	}
	if d, ok := mp.Dropped(txs[0].Hash()); !ok || !strings.Contains(d.Reason, "nonce 0 was used") {
		t.Fatalf("nonce 0: %+v", d)
	}
	for _, n := range []int{1, 2} {
		if mp.Get(txs[n].Hash()) == nil {
			t.Fatalf("nonce %d, still affordable, left", n)
		}
	}
	if d, ok := mp.Dropped(txs[3].Hash()); !ok || !strings.Contains(d.Reason, "insufficient funds for the pending set") {
		t.Fatalf("nonce 3: %+v %v", d, ok)
	}
}

// TestMempoolGapQueue: txs above a missing nonce wait in a queue bounded
// per sender and in total; they never evict runnable txs, a runnable tx
// evicts them first, and they run once the gap fills.
func TestMempoolGapQueue(t *testing.T) {
	g := testchain.Genesis()
	tc := testchain.New(t, g)
	mp := mempool.New(tc.C, mempool.Config{MaxTxs: 160}) // queue: 20
	// Per sender: 16 queued; a higher nonce is refused, a lower one takes
	// the place of the highest.
	for n := uint64(2); n < 2+mempool.MaxQueuedPerSender; n++ {
		if err := mp.Add(pricedTransfer(t, g, 0, n, 1)); err != nil {
			t.Fatal(err)
		}
	}
	if q, _ := mp.Queued(); q != mempool.MaxQueuedPerSender || len(mp.Pending()) != 0 {
		t.Fatalf("queued %d, pending %d", q, len(mp.Pending()))
	}
	if err := mp.Add(pricedTransfer(t, g, 0, 40, 1)); !errors.Is(err, mempool.ErrMempoolFull) {
		t.Fatalf("a 17th queued tx above the others: %v", err)
	}
	highest := pricedTransfer(t, g, 0, 1+mempool.MaxQueuedPerSender, 1)
	if err := mp.Add(pricedTransfer(t, g, 0, 1, 1)); err != nil {
		t.Fatal(err)
	}
	if mp.Get(highest.Hash()) != nil {
		t.Fatal("the highest queued nonce stayed")
	}
	// The gap fills: all 17 run.
	if err := mp.Add(pricedTransfer(t, g, 0, 0, 1)); err != nil {
		t.Fatal(err)
	}
	if q, _ := mp.Queued(); q != 0 || len(mp.Pending()) != 1+mempool.MaxQueuedPerSender {
		t.Fatalf("after the gap filled: queued %d, pending %d", q, len(mp.Pending()))
	}
	// In total: 20 queued (4 senders × 5); the 21st must outbid the cheapest.
	for k := 1; k <= 4; k++ {
		for n := uint64(1); n <= 5; n++ {
			if err := mp.Add(pricedTransfer(t, g, k, n, 5)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := mp.Add(pricedTransfer(t, g, 5, 1, 5)); !errors.Is(err, mempool.ErrMempoolFull) {
		t.Fatalf("a queued tx into a full queue, no higher price: %v", err)
	}
	if err := mp.Add(pricedTransfer(t, g, 5, 1, 6)); err != nil {
		t.Fatalf("a pricier queued tx: %v", err)
	}
	if q, _ := mp.Queued(); q != 20 {
		t.Fatalf("queue of %d", q)
	}
	// Fill the pool with runnable txs: the newcomers evict queued txs
	// first, whatever they pay, and a queued tx never evicts a runnable one.
	for k := 6; k < 10; k++ {
		for n := uint64(0); n < 40; n++ {
			if c, _ := mp.Stats(); c == 160 {
				break
			}
			if err := mp.Add(pricedTransfer(t, g, k, n, 2)); err != nil {
				t.Fatal(err)
			}
		}
	}
	pending := len(mp.Pending())
	if c, _ := mp.Stats(); c != 160 || pending != 140 {
		t.Fatalf("pool %d, pending %d", c, pending)
	}
	// Sender 9 holds nonces 0..2. A queued newcomer evicts only a cheaper
	// queued tx, never one of the runnable ones.
	if err := mp.Add(pricedTransfer(t, g, 9, 10, 100)); err != nil {
		t.Fatalf("a pricier queued tx into a full pool: %v", err)
	}
	if err := mp.Add(pricedTransfer(t, g, 9, 11, 1)); !errors.Is(err, mempool.ErrMempoolFull) {
		t.Fatalf("a cheap queued tx into a pool full of runnable txs: %v", err)
	}
	if len(mp.Pending()) != pending {
		t.Fatal("a queued tx evicted a runnable one")
	}
	run := pricedTransfer(t, g, 9, 3, 1) // cheaper than every queued tx, but runnable
	if err := mp.Add(run); err != nil {
		t.Fatalf("a runnable tx evicting a queued one: %v", err)
	}
	if q, _ := mp.Queued(); q >= 20 {
		t.Fatalf("no queued tx evicted: %d", q)
	}
	if len(mp.Pending()) <= pending {
		t.Fatal("the runnable tx did not get in")
	}
}

// TestMempoolReplacementThatDoesNotFit: a replacement refused for room
// or for the cost cap leaves the original pending (attack 12).
func TestMempoolReplacementThatDoesNotFit(t *testing.T) {
	g := testchain.Genesis()
	tc := testchain.New(t, g)
	old := pricedTransfer(t, g, 0, 0, 10)
	mp := mempool.New(tc.C, mempool.Config{MaxBytes: 4 * old.Size()})
	if err := mp.Add(old); err != nil {
		t.Fatal(err)
	}
	for k := 1; k <= 3; k++ {
		if err := mp.Add(pricedTransfer(t, g, k, 0, 50)); err != nil {
			t.Fatal(err)
		}
	}
	bigger := keyTx(g, wallet.DevKey(0), 0, 1, 11, 64) // 10% more, but larger: no room
	if err := mp.Add(bigger); !errors.Is(err, mempool.ErrMempoolFull) {
		t.Fatalf("a replacement without room: %v", err)
	}
	if mp.Get(old.Hash()) == nil || mp.Get(bigger.Hash()) != nil {
		t.Fatal("the original left although nothing replaced it")
	}
	if c, _ := mp.Stats(); c != 4 {
		t.Fatalf("pool of %d after the refused replacement", c)
	}
	// The cost cap: the replacement costs more than the sender has.
	key := fundKey(t, tc, 2*chain.TxGas*10)
	mp2 := mempool.New(tc.C, mempool.Config{})
	first := keyTx(g, key, 0, 0, 10, 0)
	second := keyTx(g, key, 1, 0, 10, 0)
	for _, tx := range []*proto.Tx{first, second} {
		if err := mp2.Add(tx); err != nil {
			t.Fatal(err)
		}
	}
	repl := keyTx(g, key, 0, 0, 11, 0)
	if err := mp2.Add(repl); chain.CodeOf(err) != chain.ErrInsufficientFunds {
		t.Fatalf("an unaffordable replacement: %v", err)
	}
	if mp2.Get(first.Hash()) == nil || mp2.Get(second.Hash()) == nil {
		t.Fatal("the refused replacement took the sender's txs with it")
	}
}

// TestMempoolInvariantsRandom offers random txs (senders with little
// money, nonces in any order, replacements, big and small) to a small
// pool and mines some of them now and then; after every step the pool
// keeps its bounds and its books: count and bytes over what it holds,
// runnable plus queued, each sender's txs payable together.
func TestMempoolInvariantsRandom(t *testing.T) {
	g := testchain.Genesis()
	tc := testchain.New(t, g)
	rng := rand.New(rand.NewPCG(1, 2))
	var keys []*ecdsa.PrivateKey
	for i := 0; i < 10; i++ { // three pay for a few txs, the others for hundreds
		fund := uint64(10_000_000)
		if i < 3 {
			fund = 30_000 + uint64(rng.IntN(60_000))
		}
		keys = append(keys, fundKey(t, tc, fund))
	}
	cfg := mempool.Config{MaxTxs: 40, MaxBytes: 40 * 200}
	mp := mempool.New(tc.C, cfg)
	var offered []*proto.Tx
	check := func(step int) {
		t.Helper()
		count, size := mp.Stats()
		q, qb := mp.Queued()
		pending := mp.Pending()
		if count > cfg.MaxTxs || size > cfg.MaxBytes || q > cfg.MaxTxs/8 || qb > cfg.MaxBytes/8 {
			t.Fatalf("step %d: bounds: %d txs %d bytes, queued %d / %d bytes", step, count, size, q, qb)
		}
		held, heldBytes := 0, 0
		cost := map[common.Address]uint64{}
		for _, tx := range offered {
			if mp.Get(tx.Hash()) != nil {
				held++
				heldBytes += tx.Size()
				from, _ := chain.Sender(tx)
				c, _ := tx.Cost()
				cost[from] += c
			}
		}
		if held != count || heldBytes != size || len(pending)+q != count {
			t.Fatalf("step %d: books: stats %d/%d, held %d/%d, pending %d + queued %d", step, count, size, held, heldBytes, len(pending), q)
		}
		for from, c := range cost {
			acct, _ := tc.C.Account(from)
			if c > acct.Balance {
				t.Fatalf("step %d: %s's txs cost %d, it holds %d", step, from, c, acct.Balance)
			}
		}
		next := map[common.Address]uint64{}
		for _, tx := range pending {
			from, _ := chain.Sender(tx)
			n, ok := next[from]
			if !ok {
				acct, _ := tc.C.Account(from)
				n = acct.Nonce
			}
			if tx.Nonce != n {
				t.Fatalf("step %d: pending tx of %s with nonce %d, want %d", step, from, tx.Nonce, n)
			}
			next[from] = n + 1
		}
	}
	accepted, maxQ := 0, 0
	why := map[string]int{}
	for step := 0; step < 1500; step++ {
		if step%25 == 24 {
			tc.Clock.Add(1000)
			b := mineAnyPendingOf(tc, mp)
			if err := tc.C.ProcessBlock(b); err != nil {
				t.Fatal(err)
			}
			check(step)
			continue
		}
		k := rng.IntN(len(keys))
		acct, _ := tc.C.Account(crypto.PubkeyToAddress(keys[k].PublicKey))
		// Mostly the next nonce, sometimes one past a gap, sometimes a
		// replacement (or a low nonce of a sender that just got mined).
		nonce := mp.PendingNonce(crypto.PubkeyToAddress(keys[k].PublicKey), acct.Nonce)
		switch r := rng.IntN(10); {
		case r >= 8:
			nonce += 1 + uint64(rng.IntN(6))
		case r == 7 && nonce > 0:
			nonce -= 1 + uint64(rng.IntN(int(min(nonce, 3))))
		}
		tx := keyTx(g, keys[k], nonce, uint64(rng.IntN(3000)), 1+uint64(rng.IntN(20)), rng.IntN(2)*rng.IntN(100))
		offered = append(offered, tx)
		if err := mp.Add(tx); err == nil {
			accepted++
		} else {
			why[strings.SplitN(err.Error(), " ", 2)[0]]++
		}
		q, _ := mp.Queued()
		maxQ = max(maxQ, q)
		check(step)
	}
	t.Logf("%d of %d txs accepted, queue peak %d, height %d; refused: %v", accepted, len(offered), maxQ, tc.C.Head().Header.Height, why)
	if accepted < 300 || maxQ == 0 || why["mempool"] == 0 {
		t.Fatal("the random txs did not exercise the pool")
	}
}

// mineAnyPendingOf assembles the pool's pending txs on the head as the
// miner does and solves the block.
func mineAnyPendingOf(tc *testchain.Chain, mp *mempool.Mempool) *proto.Block {
	return tc.MineOnHead(wallet.DevAddress(8), mp.Pending()...)
}
