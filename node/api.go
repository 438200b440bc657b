package node

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"strconv"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/chain/blockchain"
	"github.com/tinychain/tinychain/chain/mempool"
	"github.com/tinychain/tinychain/gossip"
	"github.com/tinychain/tinychain/node/explorer"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/wallet"
)

// routes returns the API's handler.
func (n *Node) routes() http.Handler {
	mux := http.NewServeMux()
	allowed := map[string][]string{}
	route := func(method, path string, h http.HandlerFunc) {
		mux.HandleFunc(method+" "+path, h)
		if allowed[path] == nil {
			// Any other method on a known path: 405, as JSON.
			mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Allow", strings.Join(allowed[path], ", "))
				writeError(w, http.StatusMethodNotAllowed, fmt.Errorf("method %s not allowed on %s", r.Method, r.URL.Path))
			})
		}
		allowed[path] = append(allowed[path], method)
	}
	route("GET", "/v1/status", n.handleStatus)
	route("GET", "/v1/blocks", n.handleBlocks)
	route("GET", "/v1/blocks/{id}", n.handleBlock)
	route("GET", "/v1/txs/{hash}", n.handleTx)
	route("GET", "/v1/txs", n.handleTxByNonce)
	route("POST", "/v1/txs", n.handleSendTx)
	route("GET", "/v1/accounts/{address}", n.handleAccount)
	route("GET", "/v1/mempool", n.handleMempool)
	route("GET", "/v1/accounts/{address}/txs", n.handleAccountTxs)
	route("GET", "/v1/accounts/{address}/code", n.handleCode)
	route("GET", "/v1/accounts/{address}/tape", n.handleTape)
	route("GET", "/v1/accounts/{address}/proof", n.handleAccountProof) // proof.go
	route("GET", "/v1/txs/{hash}/proof", n.handleTxProof)              // proof.go
	route("GET", "/v1/headers", n.handleHeaders)                       // proof.go
	route("POST", "/v1/eval", n.handleEval)
	route("GET", "/v1/gas", n.handleGas)
	route("GET", "/v1/peers", n.handlePeers)
	route("GET", "/v1/events", n.handleEvents)
	route("GET", "/metrics", n.metrics.handler().ServeHTTP)
	n.zkRoutes(route)
	mux.Handle("/", explorerHandler())
	mux.HandleFunc("/v1/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Errorf("no such endpoint: %s %s", r.Method, r.URL.Path))
	})
	return mux
}

// explorerHandler serves the block explorer's embedded files at /.
func explorerHandler() http.Handler {
	static, err := fs.Sub(explorer.Static, "static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	files := http.FileServerFS(static)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		files.ServeHTTP(w, r)
	})
}

// httpError is an error with the status code it should be answered with.
type httpError struct {
	status int
	err    error
}

func (e *httpError) Error() string { return e.err.Error() }
func (e *httpError) Unwrap() error { return e.err }

func badRequest(format string, args ...any) error {
	return &httpError{http.StatusBadRequest, fmt.Errorf(format, args...)}
}

func notFound(format string, args ...any) error {
	return &httpError{http.StatusNotFound, fmt.Errorf(format, args...)}
}

// marshalJSON is json.Marshal without HTML escaping: code and output hold
// '<' and '>', and "\u003c" in an answer only puzzles its reader.
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // as marshalJSON
	_ = enc.Encode(v)
}

// writeError answers err: its own status if it has one, 400 for a broken
// rule, 404 for blockchain.ErrNotFound, else 500.
func writeError(w http.ResponseWriter, status int, err error) {
	var he *httpError
	switch {
	case errors.As(err, &he):
		status = he.status
	case status != 0:
	case chain.CodeOf(err) != 0:
		status = http.StatusBadRequest
	case errors.Is(err, blockchain.ErrNotFound):
		status = http.StatusNotFound
	default:
		status = http.StatusInternalServerError
	}
	e := Error{Error: err.Error()}
	if c := chain.CodeOf(err); c != 0 {
		e.Code = c.String()
	}
	writeJSON(w, status, e)
}

func (n *Node) status() *Status {
	head := n.Chain.Head()
	count, bytes := n.Pool.Stats()
	g := n.Chain.Genesis()
	st := &Status{
		ChainID: g.ChainID, Genesis: n.Chain.GenesisHash(),
		Height: head.Header.Height, Head: head.Hash, HeadTime: head.Header.Timestamp,
		TotalWork: (*hexutil.Big)(head.TotalWork), ListenAddrs: []string{},
		MempoolSize: count, MempoolBytes: bytes,
		Mining: n.Miner.Running(), Hashrate: n.Miner.Hashrate(),
		MinGasPrice: g.MinGasPrice, BlockGasLimit: g.BlockGasLimit, Version: n.cfg.Version,
	}
	if err := n.Chain.StorageErr(); err != nil {
		st.StorageError = err.Error()
	}
	if n.Net != nil {
		st.PeerID, st.ListenAddrs, st.Peers, st.Syncing = n.Net.PeerID(), n.Net.ListenAddrs(), n.Net.PeerCount(), n.Net.Syncing()
		if p := n.Net.Progress(); p != nil {
			st.SyncTarget, st.SyncRate, st.SyncETA = p.Target, p.BlocksPerSec, p.ETA.Seconds()
		}
	}
	return st
}

func (n *Node) handlePeers(w http.ResponseWriter, r *http.Request) {
	peers := []gossip.PeerInfo{}
	if n.Net != nil {
		peers = append(peers, n.Net.Peers()...)
	}
	writeJSON(w, http.StatusOK, peers)
}

func (n *Node) handleStatus(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, n.status())
}

// handleBlock answers GET /v1/blocks/{head|height|hash}[?full=1].
func (n *Node) handleBlock(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var hash common.Hash
	switch {
	case id == "head":
		hash = n.Chain.Head().Hash
	case strings.HasPrefix(id, "0x"):
		h, err := parseHash(id)
		if err != nil {
			writeError(w, 0, err)
			return
		}
		hash = h
	default:
		height, err := strconv.ParseUint(id, 10, 64)
		if err != nil {
			writeError(w, 0, badRequest("block id %q: want head, a height or a 0x hash", id))
			return
		}
		if hash, err = n.Chain.HashAt(height); err != nil {
			writeError(w, 0, notFound("no block at height %d", height))
			return
		}
	}
	info, err := n.Chain.HeaderByHash(hash)
	if err != nil {
		writeError(w, 0, notFound("no block %s", hash))
		return
	}
	b, err := n.Chain.Block(hash)
	if err != nil {
		writeError(w, 0, notFound("no block %s", hash))
		return
	}
	q := r.URL.Query()
	full := q.Get("full")
	offset := 0
	if s := q.Get("tx_offset"); s != "" {
		if offset, err = strconv.Atoi(s); err != nil || offset < 0 {
			writeError(w, 0, badRequest("tx_offset %q: want a tx index", s))
			return
		}
	}
	out := NewBlock(b, info, full == "1" || full == "true", offset)
	if info.Main && b.Header.Height > 0 {
		if err := n.addBlockPay(out, b); err != nil {
			writeError(w, 0, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// addBlockPay fills in a main-chain block's gas used, fees and reward from
// its receipts (one read per tx, each bounded as Chain.Receipts says).
func (n *Node) addBlockPay(out *Block, b *proto.Block) error {
	rs, err := n.Chain.Receipts(b.Hash())
	if errors.Is(err, blockchain.ErrNotFound) {
		return nil // left the main chain meanwhile
	}
	if err != nil {
		return err
	}
	var gas, fees uint64
	for i, r := range rs {
		if i < len(b.Txs) {
			gas += r.GasUsed                      // ≤ block_gas_limit: no overflow
			fees += r.GasUsed * b.Txs[i].GasPrice // credited by the rules without overflow
		}
	}
	reward := chain.Amount(n.Chain.Genesis().Reward(b.Header.Height) + fees)
	fee := chain.Amount(fees)
	out.GasUsed, out.Fees, out.Reward = &gas, &fee, &reward
	return nil
}

// maxBlockListBytes bounds the block bytes one GET /v1/blocks decodes: it
// lists blocks until the next would pass this (always at least one, so at
// most this plus one max_block_bytes block), and says truncated.
var maxBlockListBytes = 8 << 20 // a var for tests

// handleBlocks answers GET /v1/blocks?limit=N&before=HEIGHT: main-chain
// blocks below before (default: up to the head), newest first.
func (n *Node) handleBlocks(w http.ResponseWriter, r *http.Request) {
	top := n.Chain.Head().Header.Height + 1
	limit, before, err := paging(r, top)
	if err != nil {
		writeError(w, 0, err)
		return
	}
	// Nothing lies above the head: without this, ?before=2^64-1 walks
	// every missing height, a CPU spent per request.
	before = min(before, top)
	out := &BlockList{Blocks: []*Block{}}
	decoded := 0
	for h := before; h > 0 && len(out.Blocks) < limit; h-- {
		hash, err := n.Chain.HashAt(h - 1)
		if err != nil {
			continue // the chain got shorter under us
		}
		info, err1 := n.Chain.HeaderByHash(hash)
		enc, err2 := n.Chain.BlockBytes(hash)
		if err1 != nil || err2 != nil {
			continue
		}
		if decoded += len(enc); decoded > maxBlockListBytes && len(out.Blocks) > 0 {
			out.Truncated = true
			break
		}
		b, err := proto.DecodeBlock(enc)
		if err != nil {
			writeError(w, 0, fmt.Errorf("stored block %s: %w", hash, err))
			return
		}
		out.Blocks = append(out.Blocks, NewBlock(b, info, false, 0))
	}
	writeJSON(w, http.StatusOK, out)
}

// paging reads ?limit (1..100, default 20) and ?before (default dflt).
func paging(r *http.Request, dflt uint64) (limit int, before uint64, err error) {
	limit, before = 20, dflt
	q := r.URL.Query()
	if s := q.Get("limit"); s != "" {
		if limit, err = strconv.Atoi(s); err != nil || limit < 1 || limit > 100 {
			return 0, 0, badRequest("limit %q: want 1 to 100", s)
		}
	}
	if s := q.Get("before"); s != "" {
		if before, err = strconv.ParseUint(s, 10, 64); err != nil {
			return 0, 0, badRequest("before %q: want a height", s)
		}
	}
	return limit, before, nil
}

// handleAccountTxs answers GET /v1/accounts/{address}/txs?limit=N&before=HEIGHT:
// the main-chain txs from, to or creating the address, newest first.
func (n *Node) handleAccountTxs(w http.ResponseWriter, r *http.Request) {
	addr, err := wallet.ParseAddress(r.PathValue("address"))
	if err != nil {
		writeError(w, 0, badRequest("address: %v", err))
		return
	}
	limit, before, err := paging(r, 0)
	if err != nil {
		writeError(w, 0, err)
		return
	}
	res, truncated, err := n.Chain.AddressTxs(addr, before, limit)
	if err != nil {
		writeError(w, 0, err)
		return
	}
	out := &TxList{Txs: make([]*TxStatus, len(res)), Truncated: truncated}
	head := n.Chain.Head().Header.Height
	for i, t := range res {
		out.Txs[i] = includedTx(t, head)
	}
	writeJSON(w, http.StatusOK, out)
}

func parseHash(s string) (common.Hash, error) {
	b, err := hexutil.Decode(s)
	if err != nil || len(b) != common.HashLength {
		return common.Hash{}, badRequest("hash %q: want 0x and 64 hex digits", s)
	}
	return common.BytesToHash(b), nil
}

func (n *Node) handleSendTx(w http.ResponseWriter, r *http.Request) {
	var req SendTxRequest
	limit := int64(2*n.Chain.Genesis().MaxTxBytes + 1024)
	if err := readJSON(w, r, limit, &req); err != nil {
		writeError(w, 0, err)
		return
	}
	if len(req.Raw) == 0 {
		writeError(w, 0, badRequest(`"raw": want the signed tx as 0x-hex`))
		return
	}
	tx, err := proto.DecodeTx(req.Raw)
	if err != nil {
		writeError(w, 0, &httpError{http.StatusBadRequest, &chain.RuleError{Code: chain.ErrMalformed, Detail: err.Error()}})
		return
	}
	if err := n.Pool.Add(tx); err != nil {
		if errors.Is(err, mempool.ErrKnownTx) {
			n.journal.insert(tx, n.Pool) // relayed first, sent here too: local now
			writeJSON(w, http.StatusOK, SendTxResponse{Hash: tx.Hash()})
			return
		}
		if chain.CodeOf(err) != 0 || errors.Is(err, mempool.ErrReplaceUnderpriced) || errors.Is(err, mempool.ErrMempoolFull) {
			writeError(w, http.StatusBadRequest, err)
			return
		}
		writeError(w, 0, err)
		return
	}
	n.journal.insert(tx, n.Pool)
	writeJSON(w, http.StatusOK, SendTxResponse{Hash: tx.Hash()})
}

func (n *Node) handleAccount(w http.ResponseWriter, r *http.Request) {
	addr, err := wallet.ParseAddress(r.PathValue("address"))
	if err != nil {
		writeError(w, 0, badRequest("address: %v", err))
		return
	}
	acct, err := n.Chain.Account(addr)
	if err != nil {
		writeError(w, 0, err)
		return
	}
	out := &Account{Address: addr, Balance: chain.Amount(acct.Balance), Nonce: acct.Nonce,
		PendingNonce: n.Pool.PendingNonce(addr, acct.Nonce), IsContract: acct.IsContract()}
	if acct.IsContract() {
		ch := acct.CodeHash
		out.CodeHash = &ch
	}
	writeJSON(w, http.StatusOK, out)
}

func (n *Node) handleMempool(w http.ResponseWriter, r *http.Request) {
	txs := n.Pool.Pending()
	count, bytes := n.Pool.Stats()
	out := &Mempool{Count: count, Bytes: bytes, Txs: make([]*Tx, len(txs))}
	for i, tx := range txs {
		out.Txs[i] = NewTx(tx)
	}
	writeJSON(w, http.StatusOK, out)
}
