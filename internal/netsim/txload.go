package netsim

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/wallet"
)

// sentTx is one tx of the load.
type sentTx struct {
	hash   common.Hash
	sender int // dev key
	node   int // submitted to
	at     time.Time
}

// txLoad sends transfers from several dev keys, each waiting for its last
// tx to be seen in a block (or for a timeout) before its next, at about
// rate txs per second in all, to the nodes in targets.
type txLoad struct {
	chainID uint64
	obs     *Observer
	nodes   []*Node
	targets []int
	rate    float64

	mu      sync.Mutex
	sent    []sentTx
	refused int // submissions the node refused (counted, not tracked)
}

// run sends until ctx ends, from senders dev keys 1..senders.
func (l *txLoad) run(ctx context.Context, senders int) {
	if l.rate <= 0 || len(l.targets) == 0 {
		return
	}
	tick := time.NewTicker(time.Duration(float64(time.Second) / l.rate))
	defer tick.Stop()
	tokens := make(chan struct{})
	var wg sync.WaitGroup
	for s := 1; s <= senders; s++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.sender(ctx, s, tokens)
		}()
	}
	for ctx.Err() == nil {
		select {
		case <-tick.C:
			select {
			case tokens <- struct{}{}:
			default: // every sender waiting on a tx: the load is what the chain takes
			}
		case <-ctx.Done():
		}
	}
	wg.Wait()
}

func (l *txLoad) sender(ctx context.Context, s int, tokens <-chan struct{}) {
	key, from := wallet.DevKey(s), wallet.DevAddress(s)
	to := common.BigToAddress(common.Big1)
	rng := rand.New(rand.NewPCG(uint64(s), 7))
	for {
		select {
		case <-ctx.Done():
			return
		case <-tokens:
		}
		nd := l.nodes[l.targets[rng.IntN(len(l.targets))]]
		acct, err := nd.Client.Account(ctx, from)
		if err != nil {
			continue
		}
		tx := &proto.Tx{ChainID: l.chainID, Nonce: acct.PendingNonce, Kind: proto.KindTransfer,
			To: to, Value: 1, GasLimit: chain.TxGas, GasPrice: 1}
		if tx.Sig, err = wallet.Sign(tx.SigHash(), key); err != nil {
			return
		}
		h, err := nd.Client.SendTx(ctx, tx)
		if err != nil {
			l.mu.Lock()
			l.refused++
			l.mu.Unlock()
			continue
		}
		l.mu.Lock()
		l.sent = append(l.sent, sentTx{hash: h, sender: s, node: nd.I, at: time.Now()})
		l.mu.Unlock()
		// Wait for it in a block, at most a minute: then the next one
		// (at the pending nonce, so a tx still pending is not replaced).
		deadline := time.Now().Add(time.Minute)
		for ctx.Err() == nil && time.Now().Before(deadline) {
			if _, ok := l.obs.includedAt(h); ok {
				break
			}
			select {
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
}

// txs returns the txs sent so far.
func (l *txLoad) txs() ([]sentTx, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]sentTx(nil), l.sent...), l.refused
}
