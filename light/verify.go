package light

import (
	"context"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/tinychain/tinychain/chain/proof"
	"github.com/tinychain/tinychain/gossip"
	"github.com/tinychain/tinychain/proto"
)

// ErrLied marks a full node that served a proof that does not verify
// against our header: it lied (or its chain is not ours).
var ErrLied = errors.New("full node served a proof that does not verify")

// ErrNoAnswer is returned when no full node gave a verified answer.
var ErrNoAnswer = errors.New("no full node gave a verified answer")

// Account returns a's account (nil: absent) at the best chain's header
// with confs blocks on top of it, asking the full nodes peers in turn over
// h until one's proof verifies against that header. liars are the peers
// whose proofs did not verify, for the caller to log and penalise; a peer
// that only failed to answer is not one.
func (s *Store) Account(ctx context.Context, h host.Host, peers []peer.ID, a common.Address, confs uint64) (acct *proto.Account, at *proto.Header, liars []peer.ID, err error) {
	at, ok, err := s.Confirmed(confs)
	if err != nil || !ok {
		return nil, nil, nil, errors.Join(fmt.Errorf("no header %d blocks deep yet", confs), err)
	}
	errs := []error{ErrNoAnswer}
	for _, p := range peers {
		pr, err := gossip.FetchAccountProof(ctx, h, s.g.ChainID, p, a, at.Hash(), false)
		if err == nil {
			if acct, err = proof.VerifyAccountAt(pr, a, at.Hash()); err == nil {
				return acct, at, liars, nil
			}
		}
		if errors.Is(err, proof.ErrInvalid) {
			liars = append(liars, p)
			err = fmt.Errorf("%w: %s: %v", ErrLied, p, err)
		}
		errs = append(errs, err)
	}
	return nil, at, liars, errors.Join(errs...)
}
