package light

import (
	"context"
	"errors"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/gossip"
)

// maxSyncReplies bounds one SyncFrom: 64 replies of 2,000 headers.
const maxSyncReplies = 64

// SyncFrom asks peer p (over h) for headers after the store's locator
// until it has no more (a short reply), checking and storing each, and
// returns how many it added. A header that fails a check the peer could
// have made ends the sync with that error (chain.IsPeerFault says which):
// the caller penalises the peer. A header from the future ends it
// quietly. At most maxSyncReplies replies.
func (s *Store) SyncFrom(ctx context.Context, h host.Host, p peer.ID) (int, error) {
	added := 0
	var last []common.Hash // where the peer's last reply ended, if anywhere
	for range maxSyncReplies {
		loc := s.Locator()
		if len(last) > 0 {
			// Continue the peer's branch, which may not be our best chain
			// yet; our chain after it, the genesis last, in case it moved.
			loc = append(last, loc[:min(len(loc)-1, 62)]...)
			loc = append(loc, s.main0())
		}
		hs, err := gossip.FetchHeaders(ctx, h, s.g.ChainID, p, loc)
		if err != nil {
			return added, err
		}
		if len(hs) > 0 {
			last = []common.Hash{hs[len(hs)-1].Hash()}
		}
		for _, hdr := range hs {
			switch err := s.Add(hdr, uint64(time.Now().UnixMilli())); {
			case err == nil:
				added++
			case errors.Is(err, ErrKnown):
			case errors.Is(err, chain.ErrTimeTooNew):
				return added, nil
			default:
				return added, err
			}
		}
		if len(hs) < gossip.MaxHeadersPerReply {
			return added, nil
		}
	}
	return added, nil
}
