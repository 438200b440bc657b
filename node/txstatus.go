package node

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tinychain/tinychain/chain/blockchain"
	"github.com/tinychain/tinychain/chain/mempool"
	"github.com/tinychain/tinychain/wallet"
)

// The statuses of GET /v1/txs (TxStatus.Status).
const (
	StatusIncluded = "included"
	StatusPending  = "pending"
	StatusQueued   = "queued"
	StatusDropped  = "dropped"
)

// maxNonceScan bounds the txs of an address that GET /v1/txs?from=&nonce=
// reads looking for an included tx, newest first: at most this many
// lookups (each a signature recovery), in pages of MaxAddressTxs. An older
// tx is found by its hash.
const maxNonceScan = 1000

func includedTx(res *blockchain.TxResult, head uint64) *TxStatus {
	st := &TxStatus{
		Tx: NewTx(res.Tx), Status: StatusIncluded, State: StatusIncluded, Block: &res.Block, Height: &res.Height,
		Index: &res.Index, Receipt: NewReceipt(res.Receipt, res.Contract),
	}
	if head >= res.Height {
		c := head - res.Height + 1
		st.Confirmations = &c
	}
	return st
}

func heldTx(h mempool.Held) *TxStatus {
	st := &TxStatus{Tx: NewTx(h.Tx), Status: StatusPending, State: StatusPending}
	if h.Queued {
		n := h.WaitingForNonce
		st.Status, st.WaitingForNonce = StatusQueued, &n
	}
	return st
}

func droppedTx(d mempool.DroppedTx) *TxStatus {
	return &TxStatus{Tx: NewTx(d.Tx), Status: StatusDropped, State: StatusDropped, Reason: d.Reason}
}

// handleTx answers GET /v1/txs/{hash}: the main chain first, then the
// mempool, then the recently dropped.
func (n *Node) handleTx(w http.ResponseWriter, r *http.Request) {
	h, err := parseHash(r.PathValue("hash"))
	if err != nil {
		writeError(w, 0, err)
		return
	}
	st, err := n.txStatus(h)
	if err != nil {
		writeError(w, 0, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (n *Node) txStatus(h common.Hash) (*TxStatus, error) {
	res, err := n.Chain.Tx(h)
	switch {
	case err == nil:
		return includedTx(res, n.Chain.Head().Header.Height), nil
	case !errors.Is(err, blockchain.ErrNotFound):
		return nil, err
	}
	if held, ok := n.Pool.Lookup(h); ok {
		return heldTx(held), nil
	}
	if d, ok := n.Pool.Dropped(h); ok {
		return droppedTx(d), nil
	}
	return nil, notFound("no tx %s", h)
}

// handleTxByNonce answers GET /v1/txs?from=ADDR&nonce=N as GET
// /v1/txs/{hash} answers: the tx that ADDR sent with nonce N, included
// (nonce below the account's), held in the mempool or dropped lately.
func (n *Node) handleTxByNonce(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("from") == "" || q.Get("nonce") == "" {
		writeError(w, 0, badRequest("want ?from=ADDRESS&nonce=N (or GET /v1/txs/{hash})"))
		return
	}
	from, err := wallet.ParseAddress(q.Get("from"))
	if err != nil {
		writeError(w, 0, badRequest("from: %v", err))
		return
	}
	nonce, err := strconv.ParseUint(q.Get("nonce"), 10, 64)
	if err != nil {
		writeError(w, 0, badRequest("nonce %q: want a non-negative integer", q.Get("nonce")))
		return
	}
	st, err := n.txByNonce(from, nonce)
	if err != nil {
		writeError(w, 0, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (n *Node) txByNonce(from common.Address, nonce uint64) (*TxStatus, error) {
	acct, err := n.Chain.Account(from)
	if err != nil {
		return nil, err
	}
	if nonce < acct.Nonce {
		return n.includedByNonce(from, nonce)
	}
	if held, ok := n.Pool.LookupNonce(from, nonce); ok {
		return heldTx(held), nil
	}
	if d, ok := n.Pool.DroppedByNonce(from, nonce); ok {
		return droppedTx(d), nil
	}
	return nil, notFound("no tx from %s with nonce %d (the account is at nonce %d)", from, nonce, acct.Nonce)
}

// includedByNonce finds the main-chain tx from sent with nonce among its
// newest maxNonceScan txs. The address index lists a sender's txs in
// nonce order (among the txs sent to it), so the scan stops at the first
// lower nonce.
func (n *Node) includedByNonce(from common.Address, nonce uint64) (*TxStatus, error) {
	head := n.Chain.Head().Header.Height
	var before uint64
	for scanned := 0; scanned < maxNonceScan; {
		page, _, err := n.Chain.AddressTxs(from, before, blockchain.MaxAddressTxs)
		if err != nil {
			return nil, err
		}
		if len(page) == 0 {
			break
		}
		for _, res := range page {
			if res.Sender != from {
				continue
			}
			switch {
			case res.Tx.Nonce == nonce:
				return includedTx(res, head), nil
			case res.Tx.Nonce < nonce:
				return nil, notFound("no main-chain tx from %s with nonce %d", from, nonce)
			}
		}
		scanned += len(page)
		last := page[len(page)-1].Height
		if last == 0 || last+1 == before {
			// One block holds more than a page of this address's txs:
			// the scan cannot page within it.
			break
		}
		before = last + 1
	}
	return nil, notFound("tx from %s with nonce %d: not among its newest %d txs; look it up by hash", from, nonce, maxNonceScan)
}
