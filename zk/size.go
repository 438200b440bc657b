package zk

import (
	"fmt"

	"github.com/tinychain/tinychain/vm"
)

// Size fixes the shape of one circuit; each Size has its own keys.
type Size struct {
	LogSteps int // names the size: its capacities are 1<<LogSteps/8
	Steps    int // rows: a run may execute at most Steps-1 commands
	Window   int // tape cells the run may touch (the rest are unchanged)
	Code     int // code table rows: at most Code-1 commands
	Input    int // input capacity in bytes
	Output   int // output capacity in bytes
}

// Logs are the circuit sizes' names, as log2 of 8 times the capacities.
var Logs = []int{10, 12, 13, 14, 16, 17}

// steps are each size's rows: as many as fit in the power of two that
// gnark's FFT domain rounds the constraints up to, 2^(LogSteps+6) (so
// 2^13 proves 10^4 steps). TestSizesFit checks that they fit and that
// no more than a few percent of the domain is left.
var steps = map[int]int{10: 1200, 12: 5060, 13: 10090, 14: 20200, 16: 68650, 17: 150000}

// domainLog is log2 of the FFT domain that size l's constraints fit.
func domainLog(l int) int { return l + 6 }

// NewSize returns the size named logSteps (one of Logs). The window, code
// and io capacities are 2^logSteps/8: a window cell costs about 18
// constraints (its two memory tuples and its share of the tape hashes),
// a code row 22 and a row 47. From 2^16 up the window is the whole tape
// (2^16's n/8 would be 8,192 cells), so that a move past the right end
// can be proven to fault: the largest size must have it, and 2^16 keeps
// the circuit (and keys) it had when it was the largest.
func NewSize(logSteps int) Size {
	n := 1 << logSteps
	s := Size{
		LogSteps: logSteps,
		Steps:    steps[logSteps],
		Window:   min(n/8, vm.TapeSize),
		Code:     min(n/8, maxCode),
		Input:    min(n/8, 4096),
		Output:   min(n/8, 4096),
	}
	if logSteps >= wholeTape {
		s.Window = vm.TapeSize
	}
	return s
}

// wholeTape is the smallest size whose window is the whole tape.
const wholeTape = 16

// maxCode bounds the code rows so that a row (command and partner) packs
// into rowBits bits.
const maxCode = 1 << 13

// String names the size, as in key file names.
func (s Size) String() string { return fmt.Sprintf("2^%d", s.LogSteps) }

// fits says why a run does not fit in s, or nil.
func (s Size) fits(r *Run) error {
	switch {
	case len(r.Prog) >= s.Code:
		return fmt.Errorf("code of %d commands exceeds %d", len(r.Prog), s.Code-1)
	case r.rows() > s.Steps:
		return fmt.Errorf("run of %d steps exceeds %d", r.rows()-1, s.Steps-1)
	case r.maxPtr >= s.Window:
		return fmt.Errorf("run reaches cell %d, window is %d cells", r.maxPtr, s.Window)
	case len(r.Input) > s.Input:
		return fmt.Errorf("input of %d bytes exceeds %d", len(r.Input), s.Input)
	case r.reads() > s.Input:
		return fmt.Errorf("run reads %d input bytes (past the end too), more than %d", r.reads(), s.Input)
	case len(r.Result.Output) > s.Output:
		return fmt.Errorf("output of %d bytes exceeds %d", len(r.Result.Output), s.Output)
	case len(r.TapeIn.Compact()) > s.Window:
		return fmt.Errorf("stored tape of %d cells exceeds the window of %d", len(r.TapeIn.Compact()), s.Window)
	}
	return nil
}

// Fit returns the smallest size that holds the run, or an error naming
// the limit that the largest size does not meet.
func Fit(r *Run) (Size, error) {
	var err error
	for _, l := range Logs {
		s := NewSize(l)
		if err = s.fits(r); err == nil {
			return s, nil
		}
	}
	return Size{}, fmt.Errorf("zk: too large to prove at the largest size (%s): %w", NewSize(Logs[len(Logs)-1]), err)
}
