package zk

import (
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend/witness"
	"github.com/consensys/gnark/frontend"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/tinychain/tinychain/vm"
)

// Statement is what a proof proves, all of it public: the code (by its
// commitment), the input, the tape before and after (by commitments), the
// output, the gas and the status. The code's commands, the tape's cells
// and every step of the run stay hidden.
type Statement struct {
	LogSteps int           `json:"log_steps"` // the circuit size: 1<<LogSteps rows
	CodeHash hexutil.Bytes `json:"code_hash"` // CodeHash of the code at this size
	TapeIn   hexutil.Bytes `json:"tape_in"`   // TapeHash of the tape before
	TapeOut  hexutil.Bytes `json:"tape_out"`  // and after the run
	Input    hexutil.Bytes `json:"input"`
	Output   hexutil.Bytes `json:"output"`
	GasLimit uint64        `json:"gas_limit"`
	LoadGas  uint64        `json:"load_gas"` // charged before the first command
	GasUsed  uint64        `json:"gas_used"` // including LoadGas
	Status   string        `json:"status"`   // ok | out_of_gas | fault
}

// CodeHash is the commitment to code at size s: Poseidon2 over the code table
// (each command with its partner bracket, padded with halts to s.Code
// rows). It fails when the code does not balance or is too long.
func CodeHash(code []byte, s Size) ([]byte, error) {
	if err := vm.Validate(code); err != nil {
		return nil, err
	}
	var prog []byte
	for _, c := range code {
		if opOf[c] != opHalt {
			prog = append(prog, c)
		}
	}
	if len(prog) >= s.Code {
		return nil, fmt.Errorf("zk: code of %d commands exceeds %d at size %s", len(prog), s.Code-1, s)
	}
	return codeHash(prog, partners(prog), s), nil
}

func codeHash(prog []byte, jump []int32, s Size) []byte {
	h := hashNative(tagCode, packNative(codeRows(prog, jump, s.Code), rowsPerElem, rowBits))
	b := h.Bytes()
	return b[:]
}

// TapeHash is the commitment to a tape at size s: Poseidon2 over its first
// s.Window cells, 31 to a field element. A run at size s cannot reach the
// cells past the window, which stay as they were.
func TapeHash(t *vm.Tape, s Size) []byte {
	h := hashNative(tagTape, packBytesNative(t[:s.Window], s.Window))
	b := h.Bytes()
	return b[:]
}

// Statement returns the run's statement at size s.
func (r *Run) Statement(s Size) *Statement {
	out := r.Result.Output
	if out == nil {
		out = []byte{}
	}
	return &Statement{
		LogSteps: s.LogSteps,
		CodeHash: codeHash(r.Prog, r.Jump, s),
		TapeIn:   TapeHash(r.TapeIn, s),
		TapeOut:  TapeHash(r.TapeOut, s),
		Input:    append([]byte{}, r.Input...),
		Output:   append([]byte{}, out...),
		GasLimit: r.Limits.Gas,
		LoadGas:  r.Limits.LoadGas,
		GasUsed:  r.Result.GasUsed,
		Status:   r.Result.Status.String(),
	}
}

// Size returns the statement's circuit size, checked.
func (st *Statement) Size() (Size, error) {
	for _, l := range Logs {
		if l == st.LogSteps {
			return NewSize(l), nil
		}
	}
	return Size{}, fmt.Errorf("zk: no circuit of size 2^%d", st.LogSteps)
}

// assign returns the circuit with the statement's public fields set (the
// public witness) and the private ones empty.
func (st *Statement) assign() (*Circuit, error) {
	c, err := st.publicOnly()
	if err != nil {
		return nil, err
	}
	full := NewCircuit(c.size)
	copy(full.Input, c.Input)
	copy(full.Output, c.Output)
	full.CodeHash, full.TapeIn, full.TapeOut = c.CodeHash, c.TapeIn, c.TapeOut
	full.InputLen, full.OutputLen = c.InputLen, c.OutputLen
	full.GasLimit, full.LoadGas, full.GasUsed, full.Status = c.GasLimit, c.LoadGas, c.GasUsed, c.Status
	return full, nil
}

// publicOnly is assign without the private fields' slices.
func (st *Statement) publicOnly() (*Circuit, error) {
	s, err := st.Size()
	if err != nil {
		return nil, err
	}
	var status int
	switch st.Status {
	case vm.StatusOK.String():
		status = int(vm.StatusOK)
	case vm.StatusOutOfGas.String():
		status = int(vm.StatusOutOfGas)
	case vm.StatusFault.String():
		status = int(vm.StatusFault)
	default:
		return nil, fmt.Errorf("zk: unknown status %q", st.Status)
	}
	switch {
	case len(st.Input) > s.Input:
		return nil, fmt.Errorf("zk: input of %d bytes exceeds %d at size %s", len(st.Input), s.Input, s)
	case len(st.Output) > s.Output:
		return nil, fmt.Errorf("zk: output of %d bytes exceeds %d at size %s", len(st.Output), s.Output, s)
	}
	c := &Circuit{size: s, Input: make([]frontend.Variable, packedLen(s.Input)), Output: make([]frontend.Variable, packedLen(s.Output))}
	for name, h := range map[string][]byte{"code_hash": st.CodeHash, "tape_in": st.TapeIn, "tape_out": st.TapeOut} {
		if len(h) != fr.Bytes {
			return nil, fmt.Errorf("zk: %s is %d bytes, want %d", name, len(h), fr.Bytes)
		}
		var e fr.Element
		if err := e.SetBytesCanonical(h); err != nil {
			return nil, fmt.Errorf("zk: %s: %w", name, err)
		}
	}
	c.CodeHash, c.TapeIn, c.TapeOut = []byte(st.CodeHash), []byte(st.TapeIn), []byte(st.TapeOut)
	for i, e := range packBytesNative(st.Input, s.Input) {
		c.Input[i] = e
	}
	for i, e := range packBytesNative(st.Output, s.Output) {
		c.Output[i] = e
	}
	c.InputLen, c.OutputLen = len(st.Input), len(st.Output)
	c.GasLimit, c.LoadGas, c.GasUsed, c.Status = st.GasLimit, st.LoadGas, st.GasUsed, status
	return c, nil
}

// publicWitness is the statement's public witness, built straight from
// the values in the circuit's order of public fields (docs/PROTOCOL.md
// 9.3): the same vector frontend.NewWitness makes from assign's circuit
// (TestPublicWitness), without walking the circuit's every private field
// by reflection, which took most of a verification's time.
func (st *Statement) publicWitness() (witness.Witness, error) {
	c, err := st.publicOnly()
	if err != nil {
		return nil, err
	}
	vals := make([]any, 0, 3+len(c.Input)+1+len(c.Output)+5)
	vals = append(vals, c.CodeHash, c.TapeIn, c.TapeOut)
	for _, v := range c.Input {
		vals = append(vals, v)
	}
	vals = append(vals, c.InputLen)
	for _, v := range c.Output {
		vals = append(vals, v)
	}
	vals = append(vals, c.OutputLen, c.GasLimit, c.LoadGas, c.GasUsed, c.Status)
	w, err := witness.New(field())
	if err != nil {
		return nil, err
	}
	ch := make(chan any, len(vals))
	for _, v := range vals {
		ch <- v
	}
	close(ch)
	if err := w.Fill(len(vals), 0, ch); err != nil {
		return nil, err
	}
	return w, nil
}
