package gossip_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/libp2p/go-libp2p"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	ma "github.com/multiformats/go-multiaddr"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/node"
	"github.com/tinychain/tinychain/proto"
)

// TestHostilePeer: a raw libp2p host that speaks the protocol sends
// garbage, a block with bad proof of work, a block with a bad signature
// and an oversized frame. Nothing is stored, an honest peer stays in
// agreement, and the hostile peer is disconnected.
func TestHostilePeer(t *testing.T) {
	g := easyGenesis()
	honest := startNode(t, g, true)
	victim := startNode(t, g, false, honest.Net.ListenAddrs()[0])
	waitFor(t, "victim to follow", 20*time.Second, func() bool { return victim.Chain.Head().Header.Height >= 2 })

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h, topic, info := dialRaw(t, ctx, victim, fmt.Sprintf("/tinychain/%d/blocks/1", g.ChainID))

	// An oversized frame on the headers stream: the victim resets it.
	s, err := h.NewStream(ctx, info.ID, protocol.ID(fmt.Sprintf("/tinychain/%d/headers/1", g.ChainID)))
	if err == nil {
		var hdr [binary.MaxVarintLen64]byte
		s.Write(hdr[:binary.PutUvarint(hdr[:], 1<<40)])
		if _, err := bufio.NewReader(s).ReadByte(); err == nil {
			t.Error("the victim answered an oversized request")
		}
		s.Close()
	}

	head := victim.Chain.Head()
	good, err := victim.Chain.Block(head.Hash)
	if err != nil {
		t.Fatal(err)
	}
	badPoW := &proto.Block{Header: good.Header, Txs: good.Txs}
	badPoW.Header.Height++
	badPoW.Header.PrevHash = head.Hash
	badPoW.Header.Target = [32]byte{} // nothing is under a zero target
	// A block with valid proof of work whose tx has a broken signature.
	badTx := &proto.Tx{ChainID: g.ChainID, Kind: proto.KindTransfer, To: common.HexToAddress("0x42"), Value: 1, GasLimit: chain.TxGas, GasPrice: 1}
	badTx.Sig[0], badTx.Sig[32], badTx.Sig[64] = 1, 1, 5 // V = 5
	badSig := &proto.Block{Header: good.Header, Txs: []*proto.Tx{badTx}}
	badSig.Header.Height, badSig.Header.PrevHash = head.Header.Height+1, head.Hash
	badSig.Header.Timestamp = head.Header.Timestamp + 1
	badSig.Header.TxRoot = chain.TxRoot(badSig.Txs)
	solve(badSig)
	payloads := [][]byte{[]byte("garbage"), badSig.Encode(), badPoW.Encode(), {0xc0}, append(good.Encode(), 0)}
	for _, p := range payloads {
		topic.Publish(ctx, p)
		time.Sleep(50 * time.Millisecond)
	}
	waitFor(t, "the hostile peer to be disconnected", 20*time.Second, func() bool {
		return len(victim.Net.Peers()) == 1 // the honest one only
	})
	for _, bad := range []*proto.Block{badPoW, badSig} {
		if _, err := victim.Chain.HeaderByHash(bad.Hash()); err == nil {
			t.Fatal("a bad block was stored")
		}
	}
	honest.Miner.Stop()
	waitFor(t, "honest nodes to agree", 20*time.Second, func() bool {
		return victim.Chain.Head().Hash == honest.Chain.Head().Hash
	})
}

// dialRaw starts a bare libp2p host with GossipSub joined to topic and
// connects it to victim: what a hostile peer runs, outside our code.
func dialRaw(t *testing.T, ctx context.Context, victim *node.Node, topic string) (host.Host, *pubsub.Topic, *peer.AddrInfo) {
	t.Helper()
	h, err := libp2p.New(libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	ps, err := pubsub.NewGossipSub(ctx, h, pubsub.WithMessageSignaturePolicy(pubsub.StrictNoSign), pubsub.WithNoAuthor(),
		pubsub.WithFloodPublish(true), pubsub.WithMessageIdFn(func(m *pb.Message) string {
			sum := sha256.Sum256(m.Data) // unsigned messages need a content id
			return string(sum[:])
		}))
	if err != nil {
		t.Fatal(err)
	}
	tp, err := ps.Join(topic)
	if err != nil {
		t.Fatal(err)
	}
	addr, _ := ma.NewMultiaddr(victim.Net.ListenAddrs()[0])
	info, _ := peer.AddrInfoFromP2pAddr(addr)
	if err := h.Connect(ctx, *info); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the victim's subscription", 10*time.Second, func() bool { return len(tp.ListPeers()) > 0 })
	return h, tp, info
}
