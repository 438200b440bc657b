package gossip

import (
	"bufio"
	"context"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/tinychain/tinychain/proto"
)

// maxPushTxs bounds the txs one push carries.
const maxPushTxs = 1024

// pushTxs sends txs straight to p over a stream. GossipSub drops a message
// whose id it has seen in the last minutes, so a tx that returns to the
// mempool after a reorganisation, or a pending tx a newly connected peer
// never saw, has to go this way.
func (n *Network) pushTxs(p peer.ID, txs []*proto.Tx) {
	if len(txs) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(n.ctx, streamTimeout)
	defer cancel()
	s, err := n.h.NewStream(ctx, p, n.protoTxs)
	if err != nil {
		return
	}
	defer s.Close()
	s.SetDeadline(time.Now().Add(streamTimeout))
	w := bufio.NewWriter(s)
	for i, tx := range txs {
		if i == maxPushTxs {
			break
		}
		if writeFrame(w, tx.Encode()) != nil {
			return
		}
	}
	w.Flush()
}

// pushToAll pushes txs to every connected peer.
func (n *Network) pushToAll(txs []*proto.Tx) {
	for _, p := range n.h.Network().Peers() {
		n.wg.Add(1)
		go func() { defer n.wg.Done(); n.pushTxs(p, txs) }()
	}
}

// handleTxs takes pushed txs into the mempool; an invalid one is a strike.
func (n *Network) handleTxs(s network.Stream) {
	defer s.Close()
	s.SetDeadline(time.Now().Add(streamTimeout))
	from := s.Conn().RemotePeer()
	r := bufio.NewReader(s)
	for i := 0; i < maxPushTxs; i++ {
		b, err := readFrame(r, n.chain.Genesis().MaxTxBytes)
		if err != nil {
			return
		}
		tx, err := proto.DecodeTx(b)
		if err != nil {
			n.strike(from, err)
			s.Reset()
			return
		}
		_ = n.pool.Add(tx) // refusals (known, nonce used, ...) are not the sender's fault
	}
}

// rebroadcastEvery is how often the pending txs go again to every peer. A
// peer whose mempool was full when a tx first came by ignored it; without
// a second offer a tx accepted by a node that does not mine would wait
// there forever.
const rebroadcastEvery = 10 * time.Second

func (n *Network) rebroadcastLoop() {
	defer n.wg.Done()
	t := time.NewTicker(rebroadcastEvery)
	defer t.Stop()
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-t.C:
			n.pushToAll(n.pool.Pending()) // the best maxPushTxs of them
		}
	}
}
