package gossip_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/wallet"
)

// TestInvalidTxFlood: a raw libp2p peer floods the tx topic with txs whose
// signatures are broken, as fast as it can. The victim disconnects and
// bans it (it cannot reconnect), and meanwhile keeps following the honest
// miner it is connected to and receives its txs.
func TestInvalidTxFlood(t *testing.T) {
	g := easyGenesis()
	honest := startNode(t, g, true)
	victim := startNode(t, g, false, honest.Net.ListenAddrs()[0])
	waitFor(t, "victim to follow", 20*time.Second, func() bool { return victim.Chain.Head().Header.Height >= 2 })

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h, topic, info := dialRaw(t, ctx, victim, fmt.Sprintf("/tinychain/%d/txs/1", g.ChainID))

	startHeight := victim.Chain.Head().Header.Height
	sent := 0
	for ; sent < 20_000 && h.Network().Connectedness(info.ID) == 1; sent++ {
		tx := &proto.Tx{ChainID: g.ChainID, Nonce: uint64(sent), Kind: proto.KindTransfer, To: common.HexToAddress("0x42"),
			Value: 1, GasLimit: chain.TxGas, GasPrice: 1}
		tx.Sig[0], tx.Sig[32], tx.Sig[64] = 1, 1, 0 // r = s = 1: no key signs that
		topic.Publish(ctx, tx.Encode())
	}
	waitFor(t, "the flooding peer to be disconnected", 20*time.Second, func() bool {
		return len(victim.Net.Peers()) == 1 // the honest one only
	})
	t.Logf("the flooder was cut off after %d invalid txs", sent)
	if err := h.Connect(ctx, *info); err == nil {
		time.Sleep(500 * time.Millisecond)
		if len(victim.Net.Peers()) > 1 {
			t.Fatal("the banned peer connected again")
		}
	}
	// The honest peer is unharmed: blocks and txs still flow to the victim.
	tx := &proto.Tx{ChainID: g.ChainID, Kind: proto.KindTransfer, To: common.HexToAddress("0x43"), Value: 5, GasLimit: chain.TxGas, GasPrice: 1}
	tx.Sig, _ = wallet.Sign(tx.SigHash(), wallet.DevKey(3))
	if err := honest.Pool.Add(tx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the victim to get the honest tx", 20*time.Second, func() bool {
		_, err := victim.Chain.Tx(tx.Hash())
		return victim.Pool.Get(tx.Hash()) != nil || err == nil
	})
	waitFor(t, "the victim to follow new blocks", 20*time.Second, func() bool {
		return victim.Chain.Head().Header.Height > startHeight+2
	})
	if len(victim.Net.Peers()) != 1 {
		t.Fatalf("the victim lost its honest peer: %v", victim.Net.Peers())
	}
}
