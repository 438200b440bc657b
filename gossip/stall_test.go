package gossip_test

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/protocol"
)

// TestStallingPeerIsReplaced: a peer that claims the heaviest chain but
// never answers hash or body requests does not stop a fresh node from
// syncing from the honest peer.
func TestStallingPeerIsReplaced(t *testing.T) {
	g := easyGenesis()
	honest := startNode(t, g, false)
	mineBlocks(t, honest, 300)

	h, err := libp2p.New(libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	id := g.ChainID
	h.SetStreamHandler(protocol.ID(fmt.Sprintf("/tinychain/%d/status/1", id)), func(s network.Stream) {
		defer s.Close()
		r := bufio.NewReader(s)
		n, _ := binary.ReadUvarint(r)
		io.CopyN(io.Discard, r, int64(n))
		claim, _ := rlp.EncodeToBytes(&struct {
			Genesis common.Hash
			Head    common.Hash
			Height  uint64
			Work    []byte
		}{honest.Chain.GenesisHash(), common.Hash{1}, 1 << 40, new(big.Int).Lsh(big.NewInt(1), 250).Bytes()})
		var hdr [binary.MaxVarintLen64]byte
		s.Write(hdr[:binary.PutUvarint(hdr[:], uint64(len(claim)))])
		s.Write(claim)
	})
	stall := func(s network.Stream) { time.Sleep(time.Minute); s.Reset() }
	h.SetStreamHandler(protocol.ID(fmt.Sprintf("/tinychain/%d/headers/1", id)), stall)
	h.SetStreamHandler(protocol.ID(fmt.Sprintf("/tinychain/%d/bodies/1", id)), stall)
	stallerAddr := h.Addrs()[0].String() + "/p2p/" + h.ID().String()

	start := time.Now()
	fresh := startNode(t, g, false, stallerAddr, honest.Net.ListenAddrs()[0])
	waitFor(t, "the fresh node to sync from the honest peer", 90*time.Second, func() bool {
		return fresh.Chain.Head().Hash == honest.Chain.Head().Hash
	})
	t.Logf("synced past the staller in %v", time.Since(start))
}
