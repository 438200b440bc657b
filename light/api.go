package light

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/gossip"
	api "github.com/tinychain/tinychain/node"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/wallet"
)

// The light node's HTTP API answers in the full node's JSON shapes
// (package node's Status, Block, Account, TxStatus), so that the CLI
// works against it unchanged, with fields added that say what the answer
// was verified against.
//
// Cost bounds: only GETs with a path and query (no body is read); the
// request line and headers at most maxHeaderBytes; reading a request
// readTimeout, an answer writeTimeout; maxConns connections open at once
// (more wait in the kernel's queue); maxQueries account or tx queries at
// once (more get 429), each asking at most maxAsked full nodes for one
// proof each (a frame of at most 64 KB or a tx proof's bound, 10 s each)
// within queryTimeout in all, and verifying it (257 hashes, or two audit
// paths of at most 64).
const (
	maxHeaderBytes    = 16 << 10
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	writeTimeout      = 60 * time.Second
	idleTimeout       = 2 * time.Minute
	maxConns          = 256
	maxQueries        = 16
	queryTimeout      = 30 * time.Second
)

// Status is GET /v1/status: the full node's fields (mempool and mining
// zero: a light node has neither) and the light node's own.
type Status struct {
	api.Status
	Light bool `json:"light"`
	// Confirmations is how many blocks are on top of the header answers
	// are verified against; Headers how many headers the node holds.
	Confirmations uint64 `json:"confirmations"`
	Headers       int    `json:"headers"`
	FullNodes     int    `json:"full_nodes"` // connected peers that serve proofs
}

// Block is GET /v1/blocks/{id}: a header in the full node's block shape.
// A light node holds no body: txs is null, tx_count and size are 0.
type Block struct {
	api.Block
	HeaderOnly bool `json:"header_only"`
}

// Verified is what a light node's answer was checked against: a header
// of its best chain, and the full node whose proof verified.
type Verified struct {
	Height uint64      `json:"verified_height"`
	Block  common.Hash `json:"verified_block"`
	Peer   string      `json:"proof_from"`
}

// Account is GET /v1/accounts/{address}, verified. PendingNonce is the
// nonce: a light node sees no mempool.
type Account struct {
	api.Account
	Verified
}

// TxStatus is GET /v1/txs/{hash}, verified against the tx's own block.
type TxStatus struct {
	api.TxStatus
	Verified
}

func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler: h, ReadHeaderTimeout: readHeaderTimeout, ReadTimeout: readTimeout,
		WriteTimeout: writeTimeout, IdleTimeout: idleTimeout,
		MaxHeaderBytes: max(1, maxHeaderBytes-4096), // net/http adds 4 KiB of slop
	}
}

func (n *Node) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/status", n.handleStatus)
	mux.HandleFunc("GET /v1/blocks/{id}", n.handleBlock)
	mux.HandleFunc("GET /v1/accounts/{address}", n.handleAccount)
	mux.HandleFunc("GET /v1/txs/{hash}", n.handleTx)
	mux.Handle("GET /metrics", promhttp.HandlerFor(n.metrics.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Errorf("no such endpoint on a light node: %s %s", r.Method, r.URL.Path))
	})
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, api.Error{Error: err.Error()})
}

func (n *Node) status() *Status {
	g := n.cfg.Genesis
	tip, height, work := n.store.Tip()
	hdr, _, _, _ := n.store.HeaderByHash(tip)
	st := &Status{Status: api.Status{
		ChainID: g.ChainID, Genesis: n.store.main0(), Height: height, Head: tip, TotalWork: (*hexutil.Big)(work),
		Syncing: work.Cmp(g.MinWork()) < 0, PeerID: n.PeerID(), ListenAddrs: n.ListenAddrs(),
		MinGasPrice: g.MinGasPrice, BlockGasLimit: g.BlockGasLimit, Version: n.cfg.Version,
	}, Light: true, Confirmations: n.cfg.Confirmations, Headers: n.store.Len()}
	if hdr != nil {
		st.HeadTime = hdr.Timestamp
	}
	if h := n.host(); h != nil {
		st.Peers = len(h.Network().Peers())
		st.FullNodes = len(n.peersSpeaking(gossip.ProofProtocol(g.ChainID)))
	}
	return st
}

func (n *Node) handleStatus(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, n.status())
}

// handleBlock answers GET /v1/blocks/{head|height|hash} from the headers.
func (n *Node) handleBlock(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var hash common.Hash
	switch {
	case id == "head":
		hash, _, _ = n.store.Tip()
	case strings.HasPrefix(id, "0x"):
		h, err := parseHash(id)
		if err != nil {
			writeError(w, http.StatusBadRequest, err)
			return
		}
		hash = h
	default:
		height, err := strconv.ParseUint(id, 10, 64)
		if err != nil {
			writeError(w, http.StatusBadRequest, fmt.Errorf("block id %q: want head, a height or a 0x hash", id))
			return
		}
		var ok bool
		if hash, ok = n.store.HashAt(height); !ok {
			writeError(w, http.StatusNotFound, fmt.Errorf("no header at height %d", height))
			return
		}
	}
	h, work, main, err := n.store.HeaderByHash(hash)
	if errors.Is(err, ErrNotFound) {
		writeError(w, http.StatusNotFound, fmt.Errorf("no header %s", hash))
		return
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, http.StatusOK, &Block{Block: api.Block{
		Hash: hash, Height: h.Height, PrevHash: h.PrevHash, Timestamp: h.Timestamp, Target: h.Target, Nonce: h.Nonce,
		Miner: h.Miner, TxRoot: h.TxRoot, StateRoot: h.StateRoot, ReceiptsRoot: h.ReceiptsRoot,
		TotalWork: (*hexutil.Big)(work), Version: h.Version, Main: main, Txs: json.RawMessage("null"),
	}, HeaderOnly: true})
}

// query takes a query slot and returns the context a query runs in, or
// answers (429, or 503 before the chain is usable) and returns false.
func (n *Node) query(w http.ResponseWriter, r *http.Request) (context.Context, func(), []peer.ID, bool) {
	if _, _, work := n.store.Tip(); work.Cmp(n.cfg.Genesis.MinWork()) < 0 {
		writeError(w, http.StatusServiceUnavailable, errors.New("syncing: the best header chain is below the genesis's min_chain_work"))
		return nil, nil, nil, false
	}
	peers := n.fullNodes()
	if len(peers) == 0 {
		writeError(w, http.StatusServiceUnavailable, errors.New("no full node connected to ask for a proof"))
		return nil, nil, nil, false
	}
	select {
	case n.queries <- struct{}{}:
	default:
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusTooManyRequests, fmt.Errorf("too many queries at once (%d): retry later", maxQueries))
		return nil, nil, nil, false
	}
	ctx, cancel := context.WithTimeout(r.Context(), queryTimeout)
	return ctx, func() { cancel(); <-n.queries }, peers, true
}

// judge logs and strikes the liars of a query and counts its result.
func (n *Node) judge(kind string, pr *Proven, err error) {
	if pr != nil {
		for _, p := range pr.Liars {
			n.strike(p, "a "+kind+" proof that does not verify", ErrLied)
			n.metrics.proofs.WithLabelValues(kind, "lied").Inc()
		}
	}
	if err != nil && !errors.Is(err, ErrNotDeep) {
		n.metrics.proofs.WithLabelValues(kind, "failed").Inc()
	} else {
		n.metrics.proofs.WithLabelValues(kind, "verified").Inc()
	}
}

// answerError answers a query that got no verified answer: 404 when every
// full node asked said it has no such thing (a tx) or the tx is not deep
// enough, 502 when one lied and none answered, else 503.
func answerError(w http.ResponseWriter, err error, allRefused bool) {
	switch {
	case errors.Is(err, ErrNotDeep), errors.Is(err, ErrNoHeader), allRefused:
		writeError(w, http.StatusNotFound, err)
	case errors.Is(err, ErrLied):
		writeError(w, http.StatusBadGateway, err)
	default:
		writeError(w, http.StatusServiceUnavailable, err)
	}
}

func (n *Node) handleAccount(w http.ResponseWriter, r *http.Request) {
	addr, err := wallet.ParseAddress(r.PathValue("address"))
	if err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("address: %v", err))
		return
	}
	ctx, done, peers, ok := n.query(w, r)
	if !ok {
		return
	}
	defer done()
	acct, pr, err := n.store.ProveAccount(ctx, n.h, peers, addr, n.cfg.Confirmations)
	n.judge("account", pr, err)
	if err != nil {
		answerError(w, err, false)
		return
	}
	if acct == nil {
		acct = &proto.Account{}
	}
	out := &Account{Account: api.Account{Address: addr, Balance: chain.Amount(acct.Balance), Nonce: acct.Nonce,
		PendingNonce: acct.Nonce, IsContract: acct.IsContract()},
		Verified: Verified{Height: pr.At.Height, Block: pr.At.Hash(), Peer: pr.Peer.String()}}
	if acct.IsContract() {
		ch := acct.CodeHash
		out.CodeHash = &ch
	}
	writeJSON(w, http.StatusOK, out)
}

func (n *Node) handleTx(w http.ResponseWriter, r *http.Request) {
	h, err := parseHash(r.PathValue("hash"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	ctx, done, peers, ok := n.query(w, r)
	if !ok {
		return
	}
	defer done()
	tx, rcpt, pr, err := n.store.ProveTx(ctx, n.h, peers, h, n.cfg.Confirmations)
	n.judge("tx", pr, err)
	if err != nil {
		answerError(w, err, allRefused(err))
		return
	}
	var contract *common.Address
	from, serr := chain.Sender(tx)
	if serr == nil && tx.Kind == proto.KindDeploy && rcpt.Status == proto.StatusOK {
		a := crypto.CreateAddress(from, tx.Nonce)
		contract = &a
	}
	_, tip, _ := n.store.Tip()
	height, block, index, confs := pr.At.Height, pr.At.Hash(), int(pr.Index), tip-pr.At.Height+1
	writeJSON(w, http.StatusOK, &TxStatus{TxStatus: api.TxStatus{
		Tx: api.NewTx(tx), Status: api.StatusIncluded, State: api.StatusIncluded,
		Confirmations: &confs, Block: &block, Height: &height, Index: &index, Receipt: api.NewReceipt(rcpt, contract),
	}, Verified: Verified{Height: height, Block: block, Peer: pr.Peer.String()}})
}

// allRefused reports whether every full node asked answered "not found".
func allRefused(err error) bool {
	var refused, other int
	var walk func(error)
	walk = func(e error) {
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				if x != nil {
					walk(x)
				}
			}
			return
		}
		switch {
		case errors.Is(e, ErrNoAnswer):
		case errors.Is(e, gossip.ErrProofNotFound):
			refused++
		default:
			other++
		}
	}
	walk(err)
	return refused > 0 && other == 0
}

func parseHash(s string) (common.Hash, error) {
	if !strings.HasPrefix(s, "0x") || len(s) != 66 {
		return common.Hash{}, fmt.Errorf("hash %q: want 0x and 64 hex digits", s)
	}
	b, err := hex.DecodeString(s[2:])
	if err != nil {
		return common.Hash{}, fmt.Errorf("hash %q: %v", s, err)
	}
	return common.BytesToHash(b), nil
}
