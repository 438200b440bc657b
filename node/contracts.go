package node

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/vm"
	"github.com/tinychain/tinychain/wallet"
)

// DefaultEvalGas is the gas of an eval that names none.
const DefaultEvalGas = 12_000_000

// EvalRequest is POST /v1/eval: code to run on the world tape, or a
// contract and its input. Input is a string; InputHex raw bytes.
type EvalRequest struct {
	Code     *string         `json:"code,omitempty"`
	CodeHex  hexutil.Bytes   `json:"code_hex,omitempty"`
	To       *common.Address `json:"to,omitempty"`
	Input    string          `json:"input,omitempty"`
	InputHex hexutil.Bytes   `json:"input_hex,omitempty"`
	From     *common.Address `json:"from,omitempty"`
	GasLimit uint64          `json:"gas_limit,omitempty"`
}

// EvalResult answers POST /v1/eval.
type EvalResult struct {
	Output  hexutil.Bytes `json:"output"`
	Text    string        `json:"output_text"`
	GasUsed uint64        `json:"gas_used"`
	Status  string        `json:"status"`
	// Error is the failure as text, ErrorCode its receipt code's name
	// (absent on success) and FaultAt the byte offset in the code of the
	// command that failed, as in a receipt.
	Error     string `json:"error"`
	ErrorCode string `json:"error_code,omitempty"`
	FaultAt   uint64 `json:"fault_at"`
}

// Code is GET /v1/accounts/{address}/code.
type Code struct {
	Address  common.Address `json:"address"`
	CodeHash common.Hash    `json:"code_hash"`
	Code     hexutil.Bytes  `json:"code"`
	Text     string         `json:"code_text"`
}

// Tape is GET /v1/accounts/{address}/tape: the cells up to the last
// non-zero one (every later cell is zero).
type Tape struct {
	Address common.Address `json:"address"`
	Cells   int            `json:"cells"`
	Tape    hexutil.Bytes  `json:"tape"`
}

// Gas is GET /v1/gas: the gas prices paid lately, for a wallet's bid.
type Gas struct {
	MinGasPrice chain.Amount `json:"min_gas_price"`
	Suggested   chain.Amount `json:"suggested"`
	Low         chain.Amount `json:"low"`
	Median      chain.Amount `json:"median"`
	High        chain.Amount `json:"high"`
	Blocks      int          `json:"blocks"`
	Txs         int          `json:"txs"`
}

func (n *Node) handleEval(w http.ResponseWriter, r *http.Request) {
	var req EvalRequest
	if err := readJSON(w, r, int64(4*n.Chain.Genesis().MaxTxBytes+1024), &req); err != nil {
		writeError(w, 0, err)
		return
	}
	cr := chain.EvalRequest{GasLimit: req.GasLimit, To: req.To, Input: []byte(req.Input)}
	if len(req.InputHex) > 0 {
		if req.Input != "" {
			writeError(w, 0, badRequest("give input or input_hex, not both"))
			return
		}
		cr.Input = req.InputHex
	}
	switch {
	case (req.Code != nil || len(req.CodeHex) > 0) == (req.To != nil):
		writeError(w, 0, badRequest("give code (or code_hex), or to with input"))
		return
	case req.Code != nil:
		cr.Code = []byte(*req.Code)
	case len(req.CodeHex) > 0:
		cr.Code = req.CodeHex
	}
	if cr.GasLimit == 0 {
		cr.GasLimit = DefaultEvalGas
	}
	if limit := n.Chain.Genesis().BlockGasLimit; cr.GasLimit > limit {
		writeError(w, 0, badRequest("gas_limit %d above the block gas limit %d", cr.GasLimit, limit))
		return
	}
	if max := n.Chain.Genesis().MaxTxBytes; len(cr.Code) > max {
		// As an exec's code could be no longer: the bound on what one
		// eval makes the node load (its run pays 1 gas a byte for it too).
		writeError(w, 0, &httpError{http.StatusRequestEntityTooLarge,
			fmt.Errorf("code of %d bytes: at most max_tx_bytes (%d)", len(cr.Code), max)})
		return
	}
	if cr.Code != nil {
		if err := vm.Validate(cr.Code); err != nil {
			writeError(w, 0, badRequest("code: %v", err))
			return
		}
	}
	if !n.acquireEval(w) {
		return
	}
	defer n.releaseEval()
	res, err := n.Chain.Eval(cr)
	if errors.Is(err, chain.ErrEval) {
		writeError(w, 0, badRequest("%v", err))
		return
	}
	if err != nil {
		writeError(w, 0, err)
		return
	}
	// The error as a receipt would give it: a code, a position and the
	// text rendered from them.
	code, at := chain.VMErrCode(res.Err)
	rc := &proto.Receipt{Status: code.Status(), ErrCode: code, FaultAt: at}
	out := EvalResult{Output: res.Output, Text: string(res.Output), GasUsed: res.GasUsed, Status: rc.Status.String(),
		Error: rc.ErrorText(), ErrorCode: errorCodeName(code), FaultAt: at}
	if out.Output == nil {
		out.Output = hexutil.Bytes{}
	}
	writeJSON(w, http.StatusOK, out)
}

func (n *Node) contractAddr(w http.ResponseWriter, r *http.Request) (common.Address, bool) {
	addr, err := wallet.ParseAddress(r.PathValue("address"))
	if err != nil {
		writeError(w, 0, badRequest("address: %v", err))
		return addr, false
	}
	return addr, true
}

func (n *Node) handleCode(w http.ResponseWriter, r *http.Request) {
	addr, ok := n.contractAddr(w, r)
	if !ok {
		return
	}
	acct, err := n.Chain.Account(addr)
	if err != nil {
		writeError(w, 0, err)
		return
	}
	if !acct.IsContract() {
		writeError(w, 0, notFound("no contract at %s", addr))
		return
	}
	code, err := n.Chain.Code(addr)
	if err != nil {
		writeError(w, 0, err)
		return
	}
	writeJSON(w, http.StatusOK, &Code{Address: addr, CodeHash: acct.CodeHash, Code: code, Text: string(code)})
}

func (n *Node) handleTape(w http.ResponseWriter, r *http.Request) {
	addr, ok := n.contractAddr(w, r)
	if !ok {
		return
	}
	acct, err := n.Chain.Account(addr)
	if err != nil {
		writeError(w, 0, err)
		return
	}
	if !acct.IsContract() && addr != chain.WorldTape {
		writeError(w, 0, notFound("no contract at %s (the world tape is at %s)", addr, chain.WorldTape))
		return
	}
	tape, err := n.Chain.Tape(addr)
	if err != nil {
		writeError(w, 0, err)
		return
	}
	if tape == nil {
		tape = []byte{}
	}
	writeJSON(w, http.StatusOK, &Tape{Address: addr, Cells: vm.TapeSize, Tape: tape})
}

// gasBlocks is how many recent blocks /v1/gas looks at.
const gasBlocks = 20

func (n *Node) handleGas(w http.ResponseWriter, r *http.Request) {
	p, err := n.Chain.RecentGasPrices(gasBlocks)
	if err != nil {
		writeError(w, 0, fmt.Errorf("gas prices: %w", err))
		return
	}
	writeJSON(w, http.StatusOK, &Gas{
		MinGasPrice: chain.Amount(p.Min), Suggested: chain.Amount(p.Suggested), Low: chain.Amount(p.Low),
		Median: chain.Amount(p.Median), High: chain.Amount(p.High), Blocks: p.Blocks, Txs: p.Txs,
	})
}
