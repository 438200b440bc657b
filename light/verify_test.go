package light_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/tinychain/tinychain/gossip"
	"github.com/tinychain/tinychain/internal/testchain"
	"github.com/tinychain/tinychain/light"
	"github.com/tinychain/tinychain/proto"
)

// TestLyingFullNode: a harness serving the proof protocol with a real
// proof whose balance it raised is named a liar, and the answer comes
// from the honest full node, verified against a header 6 blocks deep.
func TestLyingFullNode(t *testing.T) {
	g := genesis()
	to := common.HexToAddress("0x00000000000000000000000000000000000000c1")
	_, fullInfo := fullNode(t, g, 20, testchain.Transfer(t, g, 0, 0, to, 31337))
	liar := bareHost(t)
	client := bareHost(t, fullInfo)
	if err := client.Connect(context.Background(), peer.AddrInfo{ID: liar.ID(), Addrs: liar.Addrs()}); err != nil {
		t.Fatal(err)
	}
	s, err := light.Open(t.TempDir(), g)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if _, err := s.SyncFrom(ctx, client, fullInfo.ID); err != nil {
		t.Fatal(err)
	}
	at, _, _ := s.Confirmed(6)
	real, err := gossip.FetchAccountProof(ctx, client, g.ChainID, fullInfo.ID, to, at.Hash(), false)
	if err != nil {
		t.Fatal(err)
	}
	acct, _ := proto.DecodeAccount(real.Account)
	acct.Balance *= 10
	forged := *real
	forged.Account = proto.Encode(acct)
	liar.SetStreamHandler(gossip.ProofProtocol(g.ChainID), func(st network.Stream) {
		defer st.Close()
		r := bufio.NewReader(st)
		n, _ := binary.ReadUvarint(r)
		io.CopyN(io.Discard, r, int64(min(n, 128)))
		b, _ := rlp.EncodeToBytes([]any{uint8(0), []byte{}, forged.Encode()})
		st.Write(binary.AppendUvarint(nil, uint64(len(b))))
		st.Write(b)
	})

	got, hdr, liars, err := s.Account(ctx, client, []peer.ID{liar.ID(), fullInfo.ID}, to, 6)
	if err != nil || got == nil || got.Balance != 31337 || hdr.Height != 14 {
		t.Fatalf("account %+v at %+v: %v", got, hdr, err)
	}
	if len(liars) != 1 || liars[0] != liar.ID() {
		t.Fatalf("liars %v", liars)
	}
	if _, _, liars, err := s.Account(ctx, client, []peer.ID{liar.ID()}, to, 6); !errors.Is(err, light.ErrLied) || len(liars) != 1 {
		t.Fatalf("only the liar: %v %v", liars, err)
	}
}
