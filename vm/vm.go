package vm

import (
	"errors"
	"fmt"
)

// The consensus constants of the VM. Changing any of them is a hard fork.
// These are all of the VM's gas; the chain adds its intrinsic gas per tx
// (chain.TxGas, chain.TxDataGasByte).
const (
	// TapeSize is the number of 8-bit cells on a contract's tape.
	TapeSize = 30000
	// MaxOutput is the chain's cap on the bytes one run may output.
	MaxOutput = 65536
	// GasStep is charged for every executed command.
	GasStep = 1
	// GasWrite is charged on top of GasStep by the commands that write a
	// cell: + - and ,.
	GasWrite = 3
	// GasOutput is charged on top of GasStep by ., whose byte every node
	// keeps in the receipt forever: priced as a byte of tx data.
	GasOutput = 16
	// GasCodeByte is charged per byte of a called contract's code (and of
	// eval's code) before its first command, for loading and compiling it:
	// Program.RunLoaded.
	GasCodeByte = 1
	// GasTapeByte is charged per byte of the stored (compact) tape a run
	// starts from, before its first command, for loading, comparing and
	// storing it: the caller computes it into Limits.LoadGas.
	GasTapeByte = 1
)

// Status is how a run ended.
type Status uint8

const (
	// StatusOK means the run reached the end of the code.
	StatusOK Status = iota
	// StatusOutOfGas means a command's cost did not fit in the gas left;
	// the run used its whole gas limit.
	StatusOutOfGas
	// StatusFault means a tape fault or an output overflow; the run used
	// the gas charged up to and including the faulting command.
	StatusFault
)

// String returns the receipt name of the status.
func (s Status) String() string {
	switch s {
	case StatusOK:
		return "ok"
	case StatusOutOfGas:
		return "out_of_gas"
	case StatusFault:
		return "fault"
	}
	return fmt.Sprintf("status(%d)", uint8(s))
}

// Sentinel errors. A Result's Err wraps one of them in a *PosError that
// names the byte offset of the command at fault, so callers test the class
// with errors.Is and the position with errors.As.
var (
	// ErrOutOfGas: a command's cost did not fit in the gas left.
	ErrOutOfGas = errors.New("vm: out of gas")
	// ErrLoadOutOfGas: the code's load gas (GasCodeByte per byte) did not
	// fit; no command ran. It wraps ErrOutOfGas.
	ErrLoadOutOfGas = fmt.Errorf("%w loading the code", ErrOutOfGas)
	// ErrTapeFault: the pointer would leave [0, TapeSize).
	ErrTapeFault = errors.New("vm: tape fault")
	// ErrTapeLeft: a < at cell 0. It wraps ErrTapeFault.
	ErrTapeLeft = fmt.Errorf("%w: < at cell 0", ErrTapeFault)
	// ErrTapeRight: a > at the last cell. It wraps ErrTapeFault.
	ErrTapeRight = fmt.Errorf("%w: > at cell %d", ErrTapeFault, TapeSize-1)
	// ErrOutputOverflow: a . when the output already holds the maximum.
	ErrOutputOverflow = errors.New("vm: output overflow")
	// ErrUnbalanced: the code's brackets do not match; it cannot run.
	ErrUnbalanced = errors.New("vm: unbalanced brackets")
)

// PosError is an error at a byte offset of the code.
type PosError struct {
	Pos int   // byte offset of the command in the code
	Err error // one of the sentinels
}

func (e *PosError) Error() string { return fmt.Sprintf("%v at byte %d", e.Err, e.Pos) }

// Unwrap lets errors.Is see the sentinel.
func (e *PosError) Unwrap() error { return e.Err }

// Tape is a contract's memory. It persists across calls.
type Tape [TapeSize]byte

// Compact returns the tape with its trailing zero cells trimmed: the form
// stored in state. The slice is a copy.
func (t *Tape) Compact() []byte {
	n := len(t)
	for n > 0 && t[n-1] == 0 {
		n--
	}
	return append([]byte{}, t[:n]...)
}

// LoadTape is the inverse of Compact: it returns a tape whose first cells
// are b and the rest zero. It fails when b is longer than the tape.
func LoadTape(b []byte) (*Tape, error) {
	if len(b) > TapeSize {
		return nil, fmt.Errorf("vm: stored tape of %d bytes exceeds %d cells", len(b), TapeSize)
	}
	t := new(Tape)
	copy(t[:], b)
	return t, nil
}

// Result is the outcome of one run. The tape passed to the run holds the
// state at its end, or at the fault; reverting a failed run is the
// caller's job.
type Result struct {
	Status  Status
	GasUsed uint64
	Output  []byte // output produced, also before a fault
	Err     error  // nil iff Status == StatusOK
}

// Limits bounds one run.
type Limits struct {
	Gas uint64
	// LoadGas is charged before the first command (the chain's load gas
	// for the code and the tape); when it does not fit, the run is out of
	// gas (ErrLoadOutOfGas) and uses the whole limit. It counts in
	// GasUsed.
	LoadGas uint64
	// MaxOutput caps the output bytes. 0 means the chain's MaxOutput; a
	// negative value allows no output at all.
	MaxOutput int
}

// maxOut resolves the MaxOutput convention.
func (l Limits) maxOut() int {
	switch {
	case l.MaxOutput == 0:
		return MaxOutput
	case l.MaxOutput < 0:
		return 0
	}
	return l.MaxOutput
}

// Validate checks that the code's brackets balance; that is the only way
// code can be malformed, since every other byte is a comment.
func Validate(code []byte) error {
	_, err := matchBrackets(code)
	return err
}

// matchBrackets returns, for each bracket's offset, the offset of its
// partner (other entries are 0).
func matchBrackets(code []byte) ([]int32, error) {
	if int64(len(code)) > 1<<31-1 {
		return nil, fmt.Errorf("vm: code of %d bytes is too long", len(code))
	}
	jump := make([]int32, len(code))
	var stack []int32
	for i, c := range code {
		switch c {
		case '[':
			stack = append(stack, int32(i))
		case ']':
			if len(stack) == 0 {
				return nil, &PosError{Pos: i, Err: ErrUnbalanced}
			}
			open := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			jump[open], jump[i] = int32(i), open
		}
	}
	if len(stack) > 0 {
		return nil, &PosError{Pos: int(stack[len(stack)-1]), Err: ErrUnbalanced}
	}
	return jump, nil
}
