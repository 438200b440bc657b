package gossip

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	"github.com/tinychain/tinychain/chain/blockchain"
	"github.com/tinychain/tinychain/chain/proof"
)

// The proof protocol, /tinychain/<chain_id>/proof/1: one request and one
// reply per stream, so a light client needs no HTTP to check what a full
// node says (docs/PROTOCOL.md, "Proofs").
//
//	proof_req   = [kind: uint8, id: bytes, block: bytes]
//	proof_reply = [code: uint8, message: bytes, proof: bytes]
const (
	ProofAccount     uint8 = 0 // id: a 20-byte address; block: empty (the head) or a 32-byte block hash
	ProofAccountTape uint8 = 1 // the same, with the account's compact tape
	ProofTx          uint8 = 2 // id: a 32-byte tx hash; block: empty
)

// Reply codes.
const (
	ProofOK            uint8 = 0 // proof holds the wire form
	ProofNotFound      uint8 = 1 // no such block, or no such tx on the main chain
	ProofOutsideWindow uint8 = 2 // the block's state is no longer (or not yet) kept
	ProofBadRequest    uint8 = 3
	ProofFailed        uint8 = 4 // our own error (storage)
)

// Bounds of the proof protocol. A request is charged to the asker's
// serving budget (peerstate.go: 4 MiB/s, burst 4 MiB, shared with headers
// and bodies) before any work, proofAccountCost or proofTxCost, and its
// reply's bytes after; so a peer gets at most 256 account proofs (each at
// most 257 node reads) or 16 tx proofs a second, and at most maxServing
// streams of any kind served at once.
const (
	maxProofReq      = 128
	maxProofReply    = proof.MaxTxProofSize + 256
	proofTimeout     = 10 * time.Second
	proofAccountCost = 16 << 10
	proofTxCost      = 256 << 10
)

type proofReq struct {
	Kind  uint8
	ID    []byte
	Block []byte
}

type proofReply struct {
	Code    uint8
	Message []byte
	Proof   []byte
}

// ErrProofRefused is returned when a peer answers a proof request with an
// error code; the message says which.
var ErrProofRefused = errors.New("proof refused")

// ErrProofNotFound is a refusal with ProofNotFound: the peer has no such
// block or tx on its main chain. It wraps ErrProofRefused.
var ErrProofNotFound = fmt.Errorf("%w: not found", ErrProofRefused)

func (n *Network) protoProof() protocol.ID { return ProofProtocol(n.chain.Genesis().ChainID) }

// ProofProtocol is the proof protocol's id on chain chainID.
func ProofProtocol(chainID uint64) protocol.ID {
	return protocol.ID(fmt.Sprintf("/tinychain/%d/proof/1", chainID))
}

// initProofs registers the proof protocol's handler.
func (n *Network) initProofs() { n.h.SetStreamHandler(n.protoProof(), n.handleProof) }

// handleProof serves one proof request. A malformed request gets a reply
// with ProofBadRequest; one over the frame limit, or past the budget, is
// reset.
func (n *Network) handleProof(s network.Stream) {
	defer s.Close()
	lim, done, ok := n.startServing(s.Conn().RemotePeer())
	if !ok {
		s.Reset()
		return
	}
	defer done()
	s.SetDeadline(time.Now().Add(serveTimeout))
	var req proofReq
	if err := readMsg(bufio.NewReader(s), maxProofReq, &req); err != nil {
		s.Reset()
		return
	}
	cost := proofAccountCost
	if req.Kind == ProofTx {
		cost = proofTxCost
	}
	ctx, cancel := context.WithTimeout(n.ctx, serveWindow)
	defer cancel()
	if lim.WaitN(ctx, cost) != nil {
		s.Reset()
		return
	}
	reply := n.answerProof(&req)
	b, err := rlp.EncodeToBytes(reply)
	if err != nil || lim.WaitN(ctx, min(len(b), lim.Burst())) != nil {
		s.Reset()
		return
	}
	writeFrame(s, b)
}

// answerProof builds the reply to a request that decoded.
func (n *Network) answerProof(req *proofReq) *proofReply {
	fail := func(code uint8, format string, args ...any) *proofReply {
		return &proofReply{Code: code, Message: fmt.Appendf(nil, format, args...)}
	}
	var enc []byte
	var err error
	switch {
	case (req.Kind == ProofAccount || req.Kind == ProofAccountTape) && len(req.ID) == common.AddressLength &&
		(len(req.Block) == 0 || len(req.Block) == common.HashLength):
		var p *proof.AccountProof
		p, _, err = n.chain.AccountProof(common.BytesToAddress(req.ID), common.BytesToHash(req.Block), req.Kind == ProofAccountTape)
		if err == nil {
			enc = p.Encode()
		}
	case req.Kind == ProofTx && len(req.ID) == common.HashLength && len(req.Block) == 0:
		var p *proof.TxProof
		p, _, err = n.chain.TxProof(common.BytesToHash(req.ID))
		if err == nil {
			enc = p.Encode()
		}
	default:
		return fail(ProofBadRequest, "kind %d with a %d-byte id and a %d-byte block", req.Kind, len(req.ID), len(req.Block))
	}
	switch {
	case err == nil:
		return &proofReply{Code: ProofOK, Proof: enc}
	case errors.Is(err, blockchain.ErrOutsideWindow):
		return fail(ProofOutsideWindow, "%v", err)
	case errors.Is(err, blockchain.ErrNotFound):
		return fail(ProofNotFound, "not found")
	}
	n.log.Warn("proof request failed", "err", err)
	return fail(ProofFailed, "internal error")
}

// requestProof asks peer p for a proof and returns its wire form.
func (n *Network) requestProof(ctx context.Context, p peer.ID, req *proofReq) ([]byte, error) {
	return requestProof(ctx, n.h, n.chain.Genesis().ChainID, p, req)
}

// requestProof asks peer p, over any host h, for a proof.
func requestProof(ctx context.Context, h host.Host, chainID uint64, p peer.ID, req *proofReq) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, proofTimeout)
	defer cancel()
	s, err := h.NewStream(ctx, p, ProofProtocol(chainID))
	if err != nil {
		return nil, err
	}
	defer s.Close()
	if dl, ok := ctx.Deadline(); ok {
		s.SetDeadline(dl)
	}
	if err := writeMsg(s, req); err != nil {
		s.Reset()
		return nil, err
	}
	s.CloseWrite()
	var reply proofReply
	if err := readMsg(bufio.NewReader(s), maxProofReply, &reply); err != nil {
		s.Reset()
		return nil, err
	}
	if reply.Code != ProofOK {
		refused := ErrProofRefused
		if reply.Code == ProofNotFound {
			refused = ErrProofNotFound
		}
		return nil, fmt.Errorf("%w by %s: code %d: %.200s", refused, p, reply.Code, reply.Message)
	}
	return reply.Proof, nil
}

// FetchAccountProof is Network.AccountProof over any libp2p host: what a
// header-only client asks full nodes with.
func FetchAccountProof(ctx context.Context, h host.Host, chainID uint64, p peer.ID, a common.Address, block common.Hash, withTape bool) (*proof.AccountProof, error) {
	b, err := requestProof(ctx, h, chainID, p, accountReq(a, block, withTape))
	if err != nil {
		return nil, err
	}
	return proof.DecodeAccountProof(b)
}

// FetchTxProof is Network.TxProof over any libp2p host.
func FetchTxProof(ctx context.Context, h host.Host, chainID uint64, p peer.ID, tx common.Hash) (*proof.TxProof, error) {
	b, err := requestProof(ctx, h, chainID, p, &proofReq{Kind: ProofTx, ID: tx[:]})
	if err != nil {
		return nil, err
	}
	return proof.DecodeTxProof(b)
}

func accountReq(a common.Address, block common.Hash, withTape bool) *proofReq {
	req := &proofReq{Kind: ProofAccount, ID: a[:]}
	if withTape {
		req.Kind = ProofAccountTape
	}
	if block != (common.Hash{}) {
		req.Block = block[:]
	}
	return req
}

// AccountProof asks peer p for the proof of a's account at block (zero:
// its head), with the tape if withTape. The proof is decoded, not
// verified: the caller checks it against a header it trusts
// (proof.VerifyAccountAt).
func (n *Network) AccountProof(ctx context.Context, p peer.ID, a common.Address, block common.Hash, withTape bool) (*proof.AccountProof, error) {
	b, err := n.requestProof(ctx, p, accountReq(a, block, withTape))
	if err != nil {
		return nil, err
	}
	return proof.DecodeAccountProof(b)
}

// TxProof asks peer p for the proof of the tx h and its receipt, decoded,
// not verified (proof.VerifyTxAt).
func (n *Network) TxProof(ctx context.Context, p peer.ID, h common.Hash) (*proof.TxProof, error) {
	b, err := n.requestProof(ctx, p, &proofReq{Kind: ProofTx, ID: h[:]})
	if err != nil {
		return nil, err
	}
	return proof.DecodeTxProof(b)
}
