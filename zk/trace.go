package zk

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/tinychain/tinychain/vm"
)

// Run is one run of the VM traced by the plain interpreter: what a proof
// is built from.
type Run struct {
	Prog    []byte  // the code's commands, comments dropped
	Jump    []int32 // each bracket's partner in Prog
	Input   []byte
	TapeIn  *vm.Tape
	TapeOut *vm.Tape
	Limits  vm.Limits
	Result  vm.Result
	Steps   []Step // each command the interpreter reached, the one out of gas too
	maxPtr  int
}

// Step is one traced command.
type Step struct {
	PC   int // index in Prog
	Ptr  int
	Cell byte
}

// Trace runs code with vm.RunPlain (on a copy of tape; nil is the zero
// tape) and records every step. Only the chain's output cap is supported.
// A run whose load gas does not fit has nothing to prove.
func Trace(code []byte, tape *vm.Tape, input []byte, lim vm.Limits) (*Run, error) {
	if err := vm.Validate(code); err != nil {
		return nil, err
	}
	if lim.MaxOutput != 0 {
		return nil, errors.New("zk: only the chain's output cap can be proven")
	}
	r := &Run{Input: input, TapeIn: new(vm.Tape), TapeOut: new(vm.Tape), Limits: lim}
	if tape != nil {
		*r.TapeIn = *tape
	}
	if err := r.checkLength(code); err != nil {
		return nil, err
	}
	*r.TapeOut = *r.TapeIn
	index := make([]int, len(code))
	for i, c := range code {
		if opOf[c] != opHalt {
			index[i] = len(r.Prog)
			r.Prog = append(r.Prog, c)
		}
	}
	r.Jump = partners(r.Prog)
	r.Result = vm.RunPlain(code, r.TapeOut, input, lim, func(pos int, _ byte, ptr int, cell byte, _ uint64) {
		r.Steps = append(r.Steps, Step{PC: index[pos], Ptr: ptr, Cell: cell})
		r.maxPtr = max(r.maxPtr, ptr)
	})
	if errors.Is(r.Result.Err, vm.ErrLoadOutOfGas) {
		return nil, fmt.Errorf("zk: the load gas %d exceeds the gas limit %d: no command runs", lim.LoadGas, lim.Gas)
	}
	if err := r.replay(); err != nil {
		return nil, err
	}
	return r, nil
}

// checkLength runs the code on the fast interpreter first, with the gas
// limit cut to what the largest size's rows could spend, so that a run
// too long to prove is refused at a bounded cost before the plain
// interpreter traces it. A run that finishes under the cut limit ends the
// same under the real one; one that does not spent more than maxStepGas a
// row for every row of the largest size, so it has more steps than rows.
func (r *Run) checkLength(code []byte) error {
	p, err := vm.Compile(code)
	if err != nil {
		return err
	}
	largest := NewSize(Logs[len(Logs)-1])
	lim := r.Limits
	if bound := lim.LoadGas + maxStepGas*uint64(largest.Steps); lim.Gas > bound && bound >= lim.LoadGas {
		lim.Gas = bound
	}
	t := *r.TapeIn
	res := p.Run(&t, r.Input, lim)
	if res.Status == vm.StatusOutOfGas && lim.Gas < r.Limits.Gas {
		return fmt.Errorf("zk: run is longer than the largest size (%d steps)", largest.Steps-1)
	}
	return nil
}

// reads is the number of , commands the run executed (reading past the
// input's end too).
func (r *Run) reads() int {
	n := 0
	for i, s := range r.Steps {
		if r.Prog[s.PC] == ',' && !(i == len(r.Steps)-1 && r.Result.Status == vm.StatusOutOfGas) {
			n++
		}
	}
	return n
}

// maxStepGas is the dearest command's gas (.).
const maxStepGas = vm.GasStep + vm.GasOutput

// partner is the partner of the command at pc, 0 for all but brackets
// (the code table's column).
func (r *Run) partner(pc int) int {
	if c := r.Prog[pc]; c == '[' || c == ']' {
		return int(r.Jump[pc])
	}
	return 0
}

// partners matches the brackets of balanced commands.
func partners(prog []byte) []int32 {
	jump := make([]int32, len(prog))
	var stack []int32
	for i, c := range prog {
		switch c {
		case '[':
			stack = append(stack, int32(i))
		case ']':
			open := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			jump[open], jump[i] = int32(i), open
		}
	}
	return jump
}

// rows is the number of circuit rows the run needs: its steps and, when
// it reached the end of the code, the halt row.
func (r *Run) rows() int {
	if r.Result.Status == vm.StatusOK {
		return len(r.Steps) + 1
	}
	return len(r.Steps)
}

// replay derives every row's access from the trace by the circuit's
// rules and checks that they end where the interpreter did, so a witness
// is never built from a trace the two read differently.
func (r *Run) replay() error {
	rows, stop, err := r.rowValues()
	if err != nil {
		return err
	}
	tape := *r.TapeIn
	var out []byte
	for _, w := range rows {
		if w.op == opOut && w.exec {
			out = append(out, byte(w.read))
		}
		tape[w.ptr] = byte(w.write)
		r.maxPtr = max(r.maxPtr, w.ptr)
	}
	r.maxPtr = max(r.maxPtr, stop.ptr)
	if tape != *r.TapeOut || !bytes.Equal(out, r.Result.Output) || int(tape[stop.ptr]) != stop.read {
		return errors.New("zk: trace replay disagrees with the interpreter")
	}
	return nil
}

// rowValue is one row's access as the witness needs it.
type rowValue struct {
	pc, ptr, op int
	partner     int // the partner bracket the row names (0 but for brackets)
	read, write int // ints, so that a test can forge a value out of range
	exec, oog   bool
}

// rowValues derives each step's access from the trace, and the row that
// repeats once the run has stopped (the halt row, or the failing command
// again, not run).
func (r *Run) rowValues() (rows []rowValue, stop rowValue, err error) {
	tape := *r.TapeIn
	in, ptr := 0, 0
	last := len(r.Steps) - 1
	for i, s := range r.Steps {
		if tape[s.Ptr] != s.Cell || s.Ptr != ptr {
			return nil, stop, fmt.Errorf("zk: trace step %d is not where the previous one left", i)
		}
		w := rowValue{pc: s.PC, ptr: s.Ptr, op: opOf[r.Prog[s.PC]], partner: r.partner(s.PC), read: int(s.Cell), write: int(s.Cell)}
		w.oog = i == last && r.Result.Status == vm.StatusOutOfGas
		w.exec = !w.oog
		fault := i == last && r.Result.Status == vm.StatusFault
		if w.exec {
			switch w.op {
			case opInc:
				w.write = (w.write + 1) % 256
			case opDec:
				w.write = (w.write + 255) % 256
			case opIn:
				w.write = 0
				if in < len(r.Input) {
					w.write = int(r.Input[in])
					in++
				}
			case opRight:
				ptr++
			case opLeft:
				ptr--
			}
			if fault {
				ptr = s.Ptr
			}
		}
		tape[s.Ptr] = byte(w.write)
		rows = append(rows, w)
	}
	stop = rowValue{pc: len(r.Prog), ptr: ptr, op: opHalt, read: int(tape[ptr]), write: int(tape[ptr])}
	if r.Result.Status != vm.StatusOK {
		l := rows[last]
		stop = rowValue{pc: l.pc, ptr: ptr, op: l.op, partner: l.partner, read: int(tape[ptr]), write: int(tape[ptr])}
	}
	return rows, stop, nil
}
