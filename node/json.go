package node

import (
	"encoding/json"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/chain/blockchain"
	"github.com/tinychain/tinychain/proto"
)

// The JSON shapes of the HTTP API (DESIGN.md): snake_case names that match
// the protocol's, amounts as decimal strings, byte strings as 0x-hex,
// heights and gas as numbers.

// Status is GET /v1/status.
type Status struct {
	ChainID       uint64       `json:"chain_id"`
	Genesis       common.Hash  `json:"genesis"`
	Height        uint64       `json:"height"`
	Head          common.Hash  `json:"head"`
	HeadTime      uint64       `json:"head_timestamp"`
	TotalWork     *hexutil.Big `json:"total_work"`
	Syncing       bool         `json:"syncing"`
	SyncTarget    uint64       `json:"sync_target,omitempty"` // the height being synced to
	SyncRate      float64      `json:"sync_blocks_per_s,omitempty"`
	SyncETA       float64      `json:"sync_eta_s,omitempty"`
	PeerID        string       `json:"peer_id"`
	ListenAddrs   []string     `json:"listen_addrs"`
	Peers         int          `json:"peers"`
	MempoolSize   int          `json:"mempool_size"`
	MempoolBytes  int          `json:"mempool_bytes"`
	Mining        bool         `json:"mining"`
	Hashrate      float64      `json:"hashrate"`
	MinGasPrice   chain.Amount `json:"min_gas_price"`
	BlockGasLimit uint64       `json:"block_gas_limit"`
	Version       string       `json:"version"`
	// StorageError is set once a database write failed (a full disk):
	// the node then stores and mines no more blocks until restarted.
	StorageError string `json:"storage_error,omitempty"`
}

// Block is a block in the API.
type Block struct {
	Hash         common.Hash    `json:"hash"`
	Height       uint64         `json:"height"`
	PrevHash     common.Hash    `json:"prev_hash"`
	Timestamp    uint64         `json:"timestamp"`
	Target       common.Hash    `json:"target"`
	Nonce        uint64         `json:"nonce,string"` // a PoW nonce spans 64 bits: a string, as amounts are
	Miner        common.Address `json:"miner"`
	TxRoot       common.Hash    `json:"tx_root"`
	StateRoot    common.Hash    `json:"state_root"`
	ReceiptsRoot common.Hash    `json:"receipts_root"`
	TotalWork    *hexutil.Big   `json:"total_work"`
	Version      uint32         `json:"version"`
	Size         int            `json:"size"`
	Main         bool           `json:"main"`
	// Txs holds the tx hashes, or with ?full=1 the whole txs from TxOffset
	// on, at most MaxFullTxs of them (?tx_offset=N for the next ones).
	Txs      json.RawMessage `json:"txs"`
	TxCount  int             `json:"tx_count"`
	TxOffset int             `json:"tx_offset,omitempty"`
	// GasUsed, Fees and Reward (the block reward at its height plus the
	// fees: what its miner was credited) are in GET /v1/blocks/{id}
	// answers for main-chain blocks past genesis, read from the receipts.
	GasUsed *uint64       `json:"gas_used,omitempty"`
	Fees    *chain.Amount `json:"fees,omitempty"`
	Reward  *chain.Amount `json:"reward,omitempty"`
}

// MaxFullTxs bounds the whole txs one GET /v1/blocks/{id}?full=1 renders:
// each costs a signature recovery (its sender), so a request costs at most
// MaxFullTxs recoveries (about 20 ms) whatever the block holds.
const MaxFullTxs = 1000

// TxHashes decodes Txs as hashes (a block fetched without ?full=1).
func (b *Block) TxHashes() ([]common.Hash, error) {
	var hs []common.Hash
	err := json.Unmarshal(b.Txs, &hs)
	return hs, err
}

// FullTxs decodes Txs as whole txs (a block fetched with ?full=1).
func (b *Block) FullTxs() ([]*Tx, error) {
	var txs []*Tx
	err := json.Unmarshal(b.Txs, &txs)
	return txs, err
}

// Tx is a transaction in the API.
type Tx struct {
	Hash     common.Hash     `json:"hash"`
	From     common.Address  `json:"from"`
	ChainID  uint64          `json:"chain_id"`
	Nonce    uint64          `json:"nonce"`
	Kind     string          `json:"kind"`
	To       *common.Address `json:"to"`
	Value    chain.Amount    `json:"value"`
	GasLimit uint64          `json:"gas_limit"`
	GasPrice chain.Amount    `json:"gas_price"`
	Data     hexutil.Bytes   `json:"data"`
	Sig      hexutil.Bytes   `json:"sig"`
}

// Receipt is a transaction's outcome in the API.
type Receipt struct {
	Status  string        `json:"status"`
	GasUsed uint64        `json:"gas_used"`
	Output  hexutil.Bytes `json:"output"`
	// Error is rendered from the receipt's code and position, which is
	// what the chain commits to; ErrorCode is the code's name (absent on
	// success) and FaultAt the byte offset of the failing command in the
	// code that ran.
	Error     string          `json:"error"`
	ErrorCode string          `json:"error_code,omitempty"`
	FaultAt   uint64          `json:"fault_at"`
	Contract  *common.Address `json:"contract,omitempty"`
}

// TxStatus is GET /v1/txs/{hash} and GET /v1/txs?from=&nonce=.
type TxStatus struct {
	Tx *Tx `json:"tx"`
	// Status is where the tx stands: included (in a main-chain block),
	// pending (in the mempool, runnable), queued (in the mempool behind a
	// nonce gap: WaitingForNonce is the nonce its sender must send next)
	// or dropped (it left the mempool unmined: Reason says why).
	Status string `json:"status"`
	// State is the older, coarser field: pending | included | dropped
	// (queued is pending).
	State           string       `json:"state"`
	Reason          string       `json:"reason,omitempty"`
	WaitingForNonce *uint64      `json:"waiting_for_nonce,omitempty"`
	Confirmations   *uint64      `json:"confirmations,omitempty"` // included: 1 in the head block, 2 one below, ...
	Block           *common.Hash `json:"block,omitempty"`
	Height          *uint64      `json:"height,omitempty"`
	Index           *int         `json:"index,omitempty"`
	Receipt         *Receipt     `json:"receipt,omitempty"`
}

// BlockList is GET /v1/blocks.
type BlockList struct {
	// Truncated says the list stopped short of its limit at the request's
	// decode budget (maxBlockListBytes): ask again with before.
	Truncated bool     `json:"truncated,omitempty"`
	Blocks    []*Block `json:"blocks"`
}

// TxList is GET /v1/accounts/{address}/txs.
type TxList struct {
	Txs []*TxStatus `json:"txs"`
	// Truncated says the page stopped short of its limit at the request's
	// read budget (blockchain.MaxAddressTxsBytes): ask again with before.
	Truncated bool `json:"truncated,omitempty"`
}

// Account is GET /v1/accounts/{address}.
type Account struct {
	Address      common.Address `json:"address"`
	Balance      chain.Amount   `json:"balance"`
	Nonce        uint64         `json:"nonce"`
	PendingNonce uint64         `json:"pending_nonce"`
	IsContract   bool           `json:"is_contract"`
	CodeHash     *common.Hash   `json:"code_hash"`
}

// Mempool is GET /v1/mempool.
type Mempool struct {
	Count int   `json:"count"`
	Bytes int   `json:"bytes"`
	Txs   []*Tx `json:"txs"`
}

// SendTxRequest is POST /v1/txs.
type SendTxRequest struct {
	Raw hexutil.Bytes `json:"raw"`
}

// SendTxResponse answers POST /v1/txs.
type SendTxResponse struct {
	Hash common.Hash `json:"hash"`
}

// Error is every error answer: the reason, and for a broken consensus rule
// its code (e.g. "nonce-too-low").
type Error struct {
	Error string `json:"error"`
	Code  string `json:"code,omitempty"`
}

// NewTx converts a transaction to its API form.
func NewTx(tx *proto.Tx) *Tx {
	from, _ := chain.Sender(tx)
	out := &Tx{
		Hash: tx.Hash(), From: from, ChainID: tx.ChainID, Nonce: tx.Nonce, Kind: tx.Kind.String(),
		Value: chain.Amount(tx.Value), GasLimit: tx.GasLimit, GasPrice: chain.Amount(tx.GasPrice),
		Data: tx.Data, Sig: tx.Sig[:],
	}
	if out.Data == nil {
		out.Data = hexutil.Bytes{}
	}
	if tx.To != (common.Address{}) {
		to := tx.To
		out.To = &to
	}
	return out
}

// NewReceipt converts a receipt to its API form.
func NewReceipt(r *proto.Receipt, contract *common.Address) *Receipt {
	out := &Receipt{Status: r.Status.String(), GasUsed: r.GasUsed, Output: r.Output, Error: r.ErrorText(),
		ErrorCode: errorCodeName(r.ErrCode), FaultAt: r.FaultAt, Contract: contract}
	if out.Output == nil {
		out.Output = hexutil.Bytes{}
	}
	return out
}

// errorCodeName is a receipt code's API name; empty (left out) for none.
func errorCodeName(c proto.ErrCode) string {
	if c == proto.ErrCodeNone {
		return ""
	}
	return c.String()
}

// NewBlock converts a block and its index info to the API form: its tx
// hashes, or with full its whole txs from offset on (at most MaxFullTxs).
func NewBlock(b *proto.Block, info *blockchain.BlockInfo, full bool, offset int) *Block {
	h := &b.Header
	out := &Block{
		Hash: b.Hash(), Height: h.Height, PrevHash: h.PrevHash, Timestamp: h.Timestamp,
		Target: h.Target, Nonce: h.Nonce, Miner: h.Miner, TxRoot: h.TxRoot, StateRoot: h.StateRoot,
		ReceiptsRoot: h.ReceiptsRoot, Version: h.Version, Size: b.Size(), TxCount: len(b.Txs),
	}
	if info != nil {
		out.TotalWork = (*hexutil.Big)(info.TotalWork)
		out.Main = info.Main
	}
	var txs any
	if full {
		offset = min(max(offset, 0), len(b.Txs))
		page := b.Txs[offset:min(len(b.Txs), offset+MaxFullTxs)]
		full := make([]*Tx, len(page))
		for i, tx := range page {
			full[i] = NewTx(tx)
		}
		txs, out.TxOffset = full, offset
	} else {
		hashes := make([]common.Hash, len(b.Txs))
		for i, tx := range b.Txs {
			hashes[i] = tx.Hash()
		}
		txs = hashes
	}
	out.Txs, _ = marshalJSON(txs)
	return out
}
