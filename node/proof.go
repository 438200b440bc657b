package node

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/chain/blockchain"
	"github.com/tinychain/tinychain/chain/proof"
	"github.com/tinychain/tinychain/gossip"
	"github.com/tinychain/tinychain/wallet"
)

// AccountProof is GET /v1/accounts/{address}/proof: the proof (its JSON
// form, and its wire form as raw) with what it proves spelled out. Only
// Proof and Raw are proven; the other fields repeat them for reading.
type AccountProof struct {
	Address     common.Address      `json:"address"`
	BlockHeight uint64              `json:"block_height"`
	BlockHash   common.Hash         `json:"block_hash"`
	StateRoot   common.Hash         `json:"state_root"`
	Exists      bool                `json:"exists"`
	Account     *ProvenAccount      `json:"account"` // null when absent
	Proof       *proof.AccountProof `json:"proof"`
	Raw         hexutil.Bytes       `json:"raw"`
}

// ProvenAccount is an account record's four fields.
type ProvenAccount struct {
	Nonce    uint64       `json:"nonce"`
	Balance  chain.Amount `json:"balance"`
	CodeHash common.Hash  `json:"code_hash"`
	TapeHash common.Hash  `json:"tape_hash"`
}

// TxProof is GET /v1/txs/{hash}/proof.
type TxProof struct {
	TxHash      common.Hash    `json:"tx_hash"`
	BlockHeight uint64         `json:"block_height"`
	BlockHash   common.Hash    `json:"block_hash"`
	Index       int            `json:"index"`
	Proof       *proof.TxProof `json:"proof"`
	Raw         hexutil.Bytes  `json:"raw"`
}

// handleAccountProof serves GET /v1/accounts/{address}/proof[?block=H][&tape=1]:
// at the head, or at main-chain height H within the proof window
// (blockchain.ProofWindow blocks); tape=1 adds the compact tape.
func (n *Node) handleAccountProof(w http.ResponseWriter, r *http.Request) {
	addr, err := wallet.ParseAddress(r.PathValue("address"))
	if err != nil {
		writeError(w, 0, badRequest("address: %v", err))
		return
	}
	var block common.Hash
	if s := r.URL.Query().Get("block"); s != "" {
		height, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			writeError(w, 0, badRequest("block %q: want a height", s))
			return
		}
		if block, err = n.Chain.HashAt(height); err != nil {
			writeError(w, 0, notFound("no main-chain block at height %d", height))
			return
		}
	}
	p, info, err := n.Chain.AccountProof(addr, block, r.URL.Query().Get("tape") == "1")
	if errors.Is(err, blockchain.ErrOutsideWindow) {
		writeError(w, 0, notFound("%v: proofs cover the last %d blocks", err, blockchain.ProofWindow))
		return
	}
	if err != nil {
		writeError(w, 0, err)
		return
	}
	out := &AccountProof{Address: addr, BlockHeight: info.Header.Height, BlockHash: info.Hash,
		StateRoot: info.Header.StateRoot, Proof: p, Raw: p.Encode()}
	// The node reads its own proof back through the verifier: what it
	// shows is what a client will check.
	acct, err := proof.VerifyAccountAt(p, addr, info.Hash)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	if acct != nil {
		out.Exists = true
		out.Account = &ProvenAccount{Nonce: acct.Nonce, Balance: chain.Amount(acct.Balance),
			CodeHash: acct.CodeHash, TapeHash: acct.TapeHash}
	}
	writeJSON(w, http.StatusOK, out)
}

// handleTxProof serves GET /v1/txs/{hash}/proof for a main-chain tx.
func (n *Node) handleTxProof(w http.ResponseWriter, r *http.Request) {
	h, err := parseHash(r.PathValue("hash"))
	if err != nil {
		writeError(w, 0, err)
		return
	}
	p, res, err := n.Chain.TxProof(h)
	if errors.Is(err, blockchain.ErrNotFound) {
		writeError(w, 0, notFound("no tx %s in the main chain", h))
		return
	}
	if err != nil {
		writeError(w, 0, err)
		return
	}
	writeJSON(w, http.StatusOK, &TxProof{TxHash: h, BlockHeight: res.Height, BlockHash: res.Block,
		Index: res.Index, Proof: p, Raw: p.Encode()})
}

// MaxHeaders is the most headers one GET /v1/headers returns: as many as
// one headers reply over libp2p (about 430 bytes of JSON each, so at most
// about 0.9 MB an answer, read from memory).
const MaxHeaders = gossip.MaxHeadersPerReply

// Headers is GET /v1/headers: main-chain headers in their canonical
// encoding, for a client that checks them itself (tinychain balance
// --verify), as a light node syncs them over libp2p.
type Headers struct {
	Headers []hexutil.Bytes `json:"headers"`
	Height  uint64          `json:"height"` // the node's head when it answered
}

// handleHeaders serves GET /v1/headers?after=H[&limit=N]: the main-chain
// headers at heights H+1, H+2, ... (H default 0: from block 1), at most N
// (1..MaxHeaders, default MaxHeaders).
func (n *Node) handleHeaders(w http.ResponseWriter, r *http.Request) {
	var after uint64
	limit := MaxHeaders
	q := r.URL.Query()
	if s := q.Get("after"); s != "" {
		var err error
		if after, err = strconv.ParseUint(s, 10, 64); err != nil {
			writeError(w, 0, badRequest("after %q: want a height", s))
			return
		}
	}
	if s := q.Get("limit"); s != "" {
		var err error
		if limit, err = strconv.Atoi(s); err != nil || limit < 1 || limit > MaxHeaders {
			writeError(w, 0, badRequest("limit %q: want 1 to %d", s, MaxHeaders))
			return
		}
	}
	out := &Headers{Headers: []hexutil.Bytes{}, Height: n.Chain.Head().Header.Height}
	for _, h := range n.Chain.HeadersAfter(after, limit) {
		out.Headers = append(out.Headers, h.Encode())
	}
	writeJSON(w, http.StatusOK, out)
}
