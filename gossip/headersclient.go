package gossip

import (
	"bufio"
	"context"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	"github.com/tinychain/tinychain/proto"
)

// MaxHeadersPerReply is the most headers one headers reply holds.
const MaxHeadersPerReply = maxHeaders

// FetchHeaders asks peer p, over any libp2p host h, for the main-chain
// headers after the first hash of locator it knows (/headers/1, at most
// 64 hashes): what a header-only client syncs with. The headers are
// decoded (canonical, within the reply's bounds), not checked.
func FetchHeaders(ctx context.Context, h host.Host, chainID uint64, p peer.ID, locator []common.Hash) ([]*proto.Header, error) {
	if len(locator) > maxLocator {
		return nil, fmt.Errorf("locator of %d hashes, at most %d", len(locator), maxLocator)
	}
	ctx, cancel := context.WithTimeout(ctx, headersTimeout)
	defer cancel()
	s, err := h.NewStream(ctx, p, protocol.ID(fmt.Sprintf("/tinychain/%d/headers/1", chainID)))
	if err != nil {
		return nil, err
	}
	defer s.Close()
	s.SetDeadline(time.Now().Add(headersTimeout))
	if err := writeMsg(s, &headersReq{Locator: locator, Max: maxHeaders}); err != nil {
		s.Reset()
		return nil, err
	}
	b, err := readFrame(bufio.NewReader(s), maxHeadersReply)
	if err != nil {
		s.Reset()
		return nil, err
	}
	return decodeHeaders(b)
}
