package node

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/consensys/gnark/backend/groth16"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/vm"
	"github.com/tinychain/tinychain/zk"
)

// ZKConfig sets up the zero-knowledge proof endpoints: POST /v1/verify
// always (cheap: milliseconds), POST /v1/prove only with Prover (seconds
// to minutes of both cores and GBs of memory per proof).
type ZKConfig struct {
	Prover bool
	Keys   string // key directory (tinychain vm setup); default <datadir>/zk
	// MaxProofs bounds the proofs made at once; more get 429. Default 1.
	MaxProofs int
}

// zkBodyLimit bounds a prove or verify request: the code, input and tape
// (a proof file's statement holds at most 4 KiB of input and of output).
const zkBodyLimit = 4*proto.MaxTxSize + 64<<10

// zkService holds the loaded keys and the provers' semaphore.
type zkService struct {
	cfg    ZKConfig
	busy   chan struct{}
	mu     sync.Mutex
	vks    map[int]groth16.VerifyingKey
	provKs map[int]*zk.Keys
}

// zkRoutes adds the proof endpoints.
func (n *Node) zkRoutes(route func(method, path string, h http.HandlerFunc)) {
	cfg := n.cfg.ZK
	if cfg.Keys == "" {
		cfg.Keys = n.cfg.DataDir + "/zk"
	}
	cfg.MaxProofs = max(cfg.MaxProofs, 1)
	z := &zkService{cfg: cfg, busy: make(chan struct{}, cfg.MaxProofs), vks: map[int]groth16.VerifyingKey{}, provKs: map[int]*zk.Keys{}}
	route("POST", "/v1/verify", z.handleVerify)
	route("POST", "/v1/prove", z.handleProve)
}

func (z *zkService) vk(s zk.Size) (groth16.VerifyingKey, error) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if vk := z.vks[s.LogSteps]; vk != nil {
		return vk, nil
	}
	vk, err := zk.LoadVK(zk.VKFile(z.cfg.Keys, s))
	if err != nil {
		return nil, &httpError{http.StatusServiceUnavailable, fmt.Errorf("no verifying key for size %s on this node: %v", s, err)}
	}
	z.vks[s.LogSteps] = vk
	return vk, nil
}

// handleVerify answers {valid, error, vk_hash, ms} for a proof file.
func (z *zkService) handleVerify(w http.ResponseWriter, r *http.Request) {
	var p zk.ProofFile
	if err := readJSON(w, r, zkBodyLimit, &p); err != nil {
		writeError(w, 0, err)
		return
	}
	s, err := p.Statement.Size()
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	vk, err := z.vk(s)
	if err != nil {
		writeError(w, 0, err)
		return
	}
	vh, _ := zk.VKHash(vk)
	start := time.Now()
	err = zk.Verify(vk, &p)
	out := map[string]any{"valid": err == nil, "vk_hash": hexutil.Bytes(vh), "ms": float64(time.Since(start).Microseconds()) / 1000}
	if err != nil {
		out["error"] = err.Error()
	}
	writeJSON(w, http.StatusOK, out)
}

// proveRequest is POST /v1/prove's body.
type proveRequest struct {
	Code     hexutil.Bytes `json:"code"`
	Input    hexutil.Bytes `json:"input"`
	TapeIn   hexutil.Bytes `json:"tape_in"` // compact, as GET .../tape gives it
	GasLimit uint64        `json:"gas_limit"`
	Call     bool          `json:"call"` // charge a call's load gas first
}

// handleProve proves a run and answers the proof file; 429 while
// MaxProofs proofs are being made.
func (z *zkService) handleProve(w http.ResponseWriter, r *http.Request) {
	if !z.cfg.Prover {
		writeError(w, http.StatusNotFound, errors.New("this node does not prove (start it with --prover)"))
		return
	}
	select {
	case z.busy <- struct{}{}:
		defer func() { <-z.busy }()
	default:
		writeError(w, http.StatusTooManyRequests, fmt.Errorf("%d proofs are being made: try again later", z.cfg.MaxProofs))
		return
	}
	var req proveRequest
	if err := readJSON(w, r, zkBodyLimit, &req); err != nil {
		writeError(w, 0, err)
		return
	}
	p, err := z.prove(req)
	if err != nil {
		writeError(w, 0, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (z *zkService) prove(req proveRequest) (*zk.ProofFile, error) {
	tape, err := vm.LoadTape(req.TapeIn)
	if err != nil {
		return nil, &httpError{http.StatusBadRequest, err}
	}
	lim := vm.Limits{Gas: req.GasLimit}
	if req.Call {
		lim.LoadGas = uint64(len(req.Code)*vm.GasCodeByte + len(bytes.TrimRight(req.TapeIn, "\x00"))*vm.GasTapeByte)
	}
	run, err := zk.Trace(req.Code, tape, req.Input, lim)
	if err != nil {
		return nil, &httpError{http.StatusBadRequest, err}
	}
	s, err := zk.Fit(run)
	if err != nil {
		return nil, &httpError{http.StatusBadRequest, err}
	}
	k, err := z.keys(s)
	if err != nil {
		return nil, err
	}
	return zk.Prove(k, run)
}

func (z *zkService) keys(s zk.Size) (*zk.Keys, error) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if k := z.provKs[s.LogSteps]; k != nil {
		return k, nil
	}
	k, err := zk.LoadKeys(z.cfg.Keys, s)
	if err != nil {
		return nil, &httpError{http.StatusServiceUnavailable, err}
	}
	z.provKs[s.LogSteps] = k
	return k, nil
}
