package light

import (
	"context"
	"errors"
	"fmt"
	"time"

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

// ErrNotDeep is a tx proven in a block of our best chain with fewer than
// the confirmations asked for on top of it.
var ErrNotDeep = errors.New("not confirmed deep enough")

// ErrNoHeader is a query before the best chain is as long as the
// confirmations asked for.
var ErrNoHeader = errors.New("no header that deep yet")

// Proven says where a verified answer came from: the header it was
// checked against (on our best chain), the full node that gave the proof
// and the nodes that gave proofs that did not verify (to log and
// penalise).
type Proven struct {
	At    *proto.Header
	Peer  peer.ID
	Liars []peer.ID
	Index uint64 // a tx's position in its block
}

// Account returns a's account (nil: absent) at the best chain's header
// with confs blocks on top of it, asking the full nodes peers in turn over
// h until one's proof verifies against that header. liars are the peers
// whose proofs did not verify, for the caller to log and penalise; a peer
// that only failed to answer is not one.
func (s *Store) Account(ctx context.Context, h host.Host, peers []peer.ID, a common.Address, confs uint64) (acct *proto.Account, at *proto.Header, liars []peer.ID, err error) {
	acct, pr, err := s.ProveAccount(ctx, h, peers, a, confs)
	if pr != nil {
		at, liars = pr.At, pr.Liars
	}
	return acct, at, liars, err
}

// ProveAccount is Account, saying which peer's proof verified.
func (s *Store) ProveAccount(ctx context.Context, h host.Host, peers []peer.ID, a common.Address, confs uint64) (*proto.Account, *Proven, error) {
	at, ok, err := s.Confirmed(confs)
	if err != nil || !ok {
		return nil, nil, errors.Join(fmt.Errorf("%w: %d blocks deep", ErrNoHeader, confs), err)
	}
	pr := &Proven{At: at}
	errs := []error{ErrNoAnswer}
	for _, p := range peers {
		if ctx.Err() != nil {
			break
		}
		pctx, cancel := context.WithTimeout(ctx, time.Duration(s.askTimeout.Load()))
		ap, err := gossip.FetchAccountProof(pctx, h, s.g.ChainID, p, a, at.Hash(), false)
		cancel()
		if err == nil {
			var acct *proto.Account
			if acct, err = proof.VerifyAccountAt(ap, a, at.Hash()); err == nil {
				pr.Peer = p
				return acct, pr, nil
			}
		}
		if errors.Is(err, proof.ErrInvalid) {
			pr.Liars = append(pr.Liars, p)
			err = fmt.Errorf("%w: %s: %v", ErrLied, p, err)
		}
		errs = append(errs, err)
	}
	return nil, pr, errors.Join(append(errs, ctx.Err())...)
}

// ProveTx returns the tx hashed txHash and its receipt, proven by a full
// node of peers (asked in turn over h) to be in a block of our best chain
// with at least confs blocks on top of it. Pr.At is that block's header.
// A proof that does not verify (or does not decode) names its peer a
// liar; one against a block
// off our best chain (the peer is on another branch, or ahead of us) is
// passed over; one against a block of our best chain not yet confs deep
// ends the query with ErrNotDeep.
func (s *Store) ProveTx(ctx context.Context, h host.Host, peers []peer.ID, txHash common.Hash, confs uint64) (*proto.Tx, *proto.Receipt, *Proven, error) {
	pr := &Proven{}
	errs := []error{ErrNoAnswer}
	for _, p := range peers {
		if ctx.Err() != nil {
			break
		}
		pctx, cancel := context.WithTimeout(ctx, time.Duration(s.askTimeout.Load()))
		tp, err := gossip.FetchTxProof(pctx, h, s.g.ChainID, p, txHash)
		cancel()
		if err != nil {
			if errors.Is(err, proof.ErrInvalid) { // it did not decode
				pr.Liars = append(pr.Liars, p)
				err = fmt.Errorf("%w: %s: %v", ErrLied, p, err)
			}
			errs = append(errs, err)
			continue
		}
		tx, rcpt, block, err := proof.VerifyTx(tp)
		if err == nil && tx.Hash() != txHash {
			err = fmt.Errorf("%w: proof is of tx %s, not %s", proof.ErrInvalid, tx.Hash(), txHash)
		}
		if err != nil {
			pr.Liars = append(pr.Liars, p)
			errs = append(errs, fmt.Errorf("%w: %s: %v", ErrLied, p, err))
			continue
		}
		hdr, _ := proto.DecodeHeader(tp.Header) // VerifyTx decoded it
		if !s.OnMain(block, hdr.Height) {
			errs = append(errs, fmt.Errorf("%s proves the tx in block %d %s, not on our best chain", p, hdr.Height, block))
			continue
		}
		pr.At, pr.Peer, pr.Index = hdr, p, tp.Index
		if _, tip, _ := s.Tip(); tip < hdr.Height+confs {
			return tx, rcpt, pr, fmt.Errorf("%w: tx %s is in block %d with %d blocks on top, want %d",
				ErrNotDeep, txHash, hdr.Height, tip-hdr.Height, confs)
		}
		return tx, rcpt, pr, nil
	}
	return nil, nil, pr, errors.Join(append(errs, ctx.Err())...)
}
