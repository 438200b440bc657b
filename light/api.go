package light

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
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
// Cost bounds, per request (TestHostileAPI holds the node to them):
//   - Every route: GET (or HEAD) only, any other method 405; no body is
//     read; the request line and headers at most maxHeaderBytes (16 KiB;
//     more: 431) on a new connection, 20 KiB on a kept-alive one
//     (net/http's read-ahead buffer); readHeaderTimeout to send them, readTimeout the whole request,
//     writeTimeout the answer; maxConns connections open at once (more
//     wait in the kernel's queue), idle ones closed after idleTimeout.
//     The query string is ignored.
//   - /v1/status, /v1/blocks/{id}, /v1/peers, /metrics: answered from
//     memory and at most one LevelDB read (a header of ~300 bytes); no
//     peer is asked, so they answer while every query slot is taken.
//   - /v1/accounts/{a}, /v1/txs/{h}: a malformed address or hash is a 400
//     before any work; then one of maxQueries query slots (none free: 429
//     with Retry-After, at once). A query asks at most maxAsked full
//     nodes, one at a time, fewest strikes first, for one proof each: a
//     request of under 100 bytes and a reply frame of at most
//     proof.MaxAccountProofSize (48 KiB) or proof.MaxTxProofSize, awaited
//     Config.ProofTimeout (5 s) each, Config.QueryTimeout (30 s) in all;
//     after that it answers 503 (no full node answered), 502 (the only
//     answers were lies) or 404 (every full node asked has no such tx).
//     Verifying a proof is at most 257 hashes (an account) or two audit
//     paths of at most 64 (a tx); one reply is held at a time. So a query
//     costs at most maxAsked streams, 8 x 1.1 MiB read and QueryTimeout of
//     a slot, and the node at most maxQueries of them at once. A full
//     node serves one peer at most 256 account or 16 tx proofs a second
//     (gossip/proof.go): past that, queries it cannot serve in time
//     answer 503 rather than wait.
const (
	maxHeaderBytes    = 16 << 10
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	writeTimeout      = 60 * time.Second
	idleTimeout       = 2 * time.Minute
	maxConns          = 256
	maxQueries        = 16
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

// Peer is one row of GET /v1/peers, the light node's peer table: every
// connected peer and every peer with live strikes (banned ones too), in
// the full node's peer shape (peer_id, addrs, direction) with what the
// light node knows of it: whether it serves proofs (full_node), its
// strikes within the last banTime, and whether it is banned.
type Peer struct {
	ID        string   `json:"peer_id"`
	Addrs     []string `json:"addrs"`
	Direction string   `json:"direction"`
	Connected bool     `json:"connected"`
	FullNode  bool     `json:"full_node"`
	Strikes   int      `json:"strikes"`
	Banned    bool     `json:"banned"`
}

// Peers returns the peer table (GET /v1/peers), ordered by peer id.
func (n *Node) Peers() []Peer {
	h := n.host()
	if h == nil {
		return []Peer{}
	}
	live := n.strikes.live(time.Now())
	rows := map[peer.ID]*Peer{}
	proofs := gossip.ProofProtocol(n.cfg.Genesis.ChainID)
	row := func(p peer.ID) *Peer {
		if rows[p] == nil {
			r := &Peer{ID: p.String(), Addrs: []string{}, Strikes: live[p], Banned: live[p] >= maxStrikes}
			if ok, _ := h.Peerstore().SupportsProtocols(p, proofs); len(ok) > 0 {
				r.FullNode = true
			}
			rows[p] = r
		}
		return rows[p]
	}
	for _, c := range h.Network().Conns() {
		r := row(c.RemotePeer())
		r.Connected = true
		r.Addrs = append(r.Addrs, c.RemoteMultiaddr().String())
		r.Direction = c.Stat().Direction.String()
	}
	for p := range live {
		row(p)
	}
	out := make([]Peer, 0, len(rows))
	for _, r := range rows {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func (n *Node) handlePeers(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, n.Peers())
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
	route := func(path string, h http.HandlerFunc) {
		mux.HandleFunc("GET "+path, h) // GET also takes HEAD
		// Any other method on a known path: 405, as JSON.
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", "GET, HEAD")
			writeError(w, http.StatusMethodNotAllowed, fmt.Errorf("method %s not allowed on %s", r.Method, r.URL.Path))
		})
	}
	route("/v1/status", n.handleStatus)
	route("/v1/blocks/{id}", n.handleBlock)
	route("/v1/accounts/{address}", n.handleAccount)
	route("/v1/txs/{hash}", n.handleTx)
	route("/v1/peers", n.handlePeers)
	route("/metrics", promhttp.HandlerFor(n.metrics.reg, promhttp.HandlerOpts{}).ServeHTTP)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Errorf("no such endpoint on a light node: %s %.200s", r.Method, r.URL.Path))
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
	ctx, cancel := context.WithTimeout(r.Context(), n.cfg.QueryTimeout)
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

// answerError answers a query that got no verified answer, with a code
// in the error's "code" field for programs:
//   - 404 not_confirmed: the tx is proven in a block of our best chain
//     with fewer than Config.Confirmations blocks on top; the message says
//     its height and how deep it is. Ask again later.
//   - 404 no_header: our best chain is shorter than the confirmations.
//   - 404 not_found: every full node asked has no such tx (an unknown tx).
//   - 502 lied: the only proofs served did not verify (the liars are
//     struck and logged).
//   - 503 no_answer: no full node answered in time (or at all).
func answerError(w http.ResponseWriter, err error, allRefused bool) {
	status, code := http.StatusServiceUnavailable, "no_answer"
	switch {
	case errors.Is(err, ErrNotDeep):
		status, code = http.StatusNotFound, "not_confirmed"
	case errors.Is(err, ErrNoHeader):
		status, code = http.StatusNotFound, "no_header"
	case allRefused:
		status, code = http.StatusNotFound, "not_found"
	case errors.Is(err, ErrLied):
		status, code = http.StatusBadGateway, "lied"
	}
	writeJSON(w, status, api.Error{Error: err.Error(), Code: code})
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
