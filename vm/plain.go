package vm

// machine is the state of a run between two commands. Both interpreters
// keep it, so the fast one can hand a run over to the plain one at any
// command and get the exact plain behaviour from there on.
type machine struct {
	tape   *Tape
	input  []byte
	inPos  int    // next input byte to read
	out    []byte // output so far
	maxOut int
	ptr    int
	gas    uint64 // gas left
	limit  uint64 // gas limit, for GasUsed
	// pos maps the index of a command in the code being run to its byte
	// offset in the source, for errors (nil: they are the same).
	pos []int32
}

func newMachine(tape *Tape, input []byte, lim Limits) machine {
	return machine{tape: tape, input: input, maxOut: lim.maxOut(), gas: lim.Gas, limit: lim.Gas}
}

// load charges the run's load gas; false means it did not fit.
func (m *machine) load(lim Limits) bool {
	if lim.LoadGas > m.gas {
		return false
	}
	m.gas -= lim.LoadGas
	return true
}

// loadOutOfGas ends a run whose load gas did not fit: no command ran.
func (m *machine) loadOutOfGas() Result {
	return Result{Status: StatusOutOfGas, GasUsed: m.limit, Err: &PosError{Pos: 0, Err: ErrLoadOutOfGas}}
}

// ok ends the run at the end of the code.
func (m *machine) ok() Result {
	return Result{Status: StatusOK, GasUsed: m.limit - m.gas, Output: m.out}
}

// source returns the byte offset in the source of the command at pc.
func (m *machine) source(pc int) int {
	if m.pos == nil {
		return pc
	}
	return int(m.pos[pc])
}

// outOfGas ends the run at the command at pc, which was not run.
func (m *machine) outOfGas(pc int) Result {
	return Result{Status: StatusOutOfGas, GasUsed: m.limit, Output: m.out,
		Err: &PosError{Pos: m.source(pc), Err: ErrOutOfGas}}
}

// fault ends the run at the command at pc, which was charged.
func (m *machine) fault(pc int, err error) Result {
	return Result{Status: StatusFault, GasUsed: m.limit - m.gas, Output: m.out,
		Err: &PosError{Pos: m.source(pc), Err: err}}
}

// Tracer observes the plain interpreter: it is called before each command
// is charged and run, with the command's byte offset in the code, the
// command, the pointer, the current cell and the gas left.
type Tracer func(pos int, cmd byte, ptr int, cell byte, gasLeft uint64)

// RunPlain runs code on tape command by command. It is the readable
// definition of the VM's semantics; Program.Run must agree with it exactly.
// The pointer starts at cell 0; the tape is modified in place.
func RunPlain(code []byte, tape *Tape, input []byte, lim Limits, trace Tracer) Result {
	m := newMachine(tape, input, lim)
	jump, err := matchBrackets(code)
	if err != nil {
		// Unbalanced code never runs and so costs nothing.
		return Result{Status: StatusFault, Err: err}
	}
	if !m.load(lim) {
		return m.loadOutOfGas()
	}
	res, _ := m.plain(code, jump, 0, nil, trace)
	return res
}

// plain runs code from byte offset pc with the machine's state. jump maps
// each bracket to its partner. When stops is not nil, the run pauses as
// soon as a bracket lands it on an offset whose stops entry is not
// negative, and returns that entry (the fast interpreter's block to resume
// at); otherwise it runs to the end and returns the result and -1.
func (m *machine) plain(code []byte, jump []int32, pc int, stops []int32, trace Tracer) (Result, int32) {
	t := m.tape
	for ; pc < len(code); pc++ {
		c := code[pc]
		var cost uint64
		switch c {
		case '+', '-', ',':
			cost = GasStep + GasWrite
		case '.':
			cost = GasStep + GasOutput
		case '>', '<', '[', ']':
			cost = GasStep
		default:
			continue // a comment
		}
		if trace != nil {
			trace(pc, c, m.ptr, t[m.ptr], m.gas)
		}
		if cost > m.gas {
			return m.outOfGas(pc), -1
		}
		m.gas -= cost
		switch c {
		case '>':
			if m.ptr == TapeSize-1 {
				return m.fault(pc, ErrTapeRight), -1
			}
			m.ptr++
		case '<':
			if m.ptr == 0 {
				return m.fault(pc, ErrTapeLeft), -1
			}
			m.ptr--
		case '+':
			t[m.ptr]++
		case '-':
			t[m.ptr]--
		case ',':
			var b byte // past the end of the input, reads store 0
			if m.inPos < len(m.input) {
				b = m.input[m.inPos]
				m.inPos++
			}
			t[m.ptr] = b
		case '.':
			if len(m.out) >= m.maxOut {
				return m.fault(pc, ErrOutputOverflow), -1
			}
			m.out = append(m.out, t[m.ptr])
		case '[':
			if t[m.ptr] == 0 {
				pc = int(jump[pc]) // on to the matching ]; the loop steps past it
			}
		case ']':
			if t[m.ptr] != 0 {
				pc = int(jump[pc]) // back to the matching [; the loop steps past it
			}
		}
		if stops != nil && (c == '[' || c == ']') {
			if b := stops[pc+1]; b >= 0 {
				return Result{}, b
			}
		}
	}
	return m.ok(), -1
}
