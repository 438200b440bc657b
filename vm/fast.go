package vm

import "bytes"

// Run executes the program on tape with input, exactly as RunPlain would:
// same status, gas used, output, error and final tape. The pointer starts
// at cell 0; the tape is modified in place.
func (p *Program) Run(tape *Tape, input []byte, lim Limits) Result {
	m := newMachine(tape, input, lim)
	m.pos = p.pos
	if !m.load(lim) {
		return m.loadOutOfGas()
	}
	if p.insts == nil { // loaded, not compiled
		res, _ := m.plain(p.code, p.jump, 0, nil, nil)
		return res
	}
	hdr := int32(0)
	for {
		res, src, done := p.exec(&m, int(hdr))
		if done {
			return res
		}
		// The plain interpreter runs from src until it fails or a bracket
		// brings it to the start of a block, where the fast one resumes.
		if res, hdr = m.plain(p.code, p.jump, src, p.stops, nil); hdr < 0 {
			return res
		}
	}
}

// RunLoaded is Run for code that is loaded to run, as a call loads its
// contract: it adds the program's LoadGas (GasCodeByte per byte of its
// source) to lim.LoadGas, charged before the first command.
func (p *Program) RunLoaded(tape *Tape, input []byte, lim Limits) Result {
	lim.LoadGas += p.LoadGas()
	return p.Run(tape, input, lim)
}

// exec runs the program from the block whose header is at pc with the
// machine's state. It returns the run's result and true, or, when a check
// fails, the byte offset the plain interpreter must resume at and false,
// with the machine holding the exact state the plain interpreter would
// have there.
//
// The hot state (pointer, gas, instruction) lives in locals, few enough to
// stay in registers; every exit writes it back. Input and output are rare
// and stay in the machine.
func (p *Program) exec(m *machine, pc int) (Result, int, bool) {
	insts := p.insts
	t := m.tape
	ptr, gas := m.ptr, m.gas
enter:
	// One check for the whole block: its static gas and every cell it can
	// reach (a <= ptr < a+b, in one unsigned comparison).
	if h := &insts[pc]; gas >= uint64(uint32(h.k)) && uint(ptr-int(h.a)) < uint(h.b) {
		gas -= uint64(uint32(h.k))
		if h.op == opBare {
			// The block is its bracket and the adds before it: run it here,
			// without a dispatch.
			in := &insts[pc+1]
			for j := pc + 2; j < pc+2+int(in.k); j++ {
				e := &insts[j]
				t[ptr+int(e.off)] += e.n
			}
			ptr += int(in.off)
			if t[ptr] != 0 {
				pc = int(in.a)
			} else if g := uint64(in.n); gas >= g {
				gas -= g
				pc = int(in.z)
			} else {
				pc = int(in.b)
			}
			goto enter
		}
	} else {
		m.ptr, m.gas = ptr, gas
		return Result{}, int(h.off), false
	}
	pc++
	for {
		in := &insts[pc]
		next := pc + 1 + int(in.k)
		for j := pc + 1; j < next; j++ {
			e := &insts[j]
			t[ptr+int(e.off)] += e.n
		}
		switch in.op {
		case opClear:
			// Branch free: a zero cell runs no iteration and costs nothing.
			at := ptr + int(in.off)
			if cost := uint64(t[at]*in.n) * uint64(in.b); cost <= gas {
				gas -= cost
			} else {
				return p.handOver(m, pc, at, gas)
			}
			t[at] = in.set
			pc = next
		case opMul1:
			at := ptr + int(in.off)
			n := t[at] * in.n
			if cost := uint64(n) * uint64(in.b); cost <= gas {
				gas -= cost
			} else {
				return p.handOver(m, pc, at, gas)
			}
			t[ptr+int(in.a)] += in.f * n
			t[at] = in.set
			pc = next
		case opMul2:
			at := ptr + int(in.off)
			n := t[at] * in.n
			if cost := uint64(n) * uint64(in.b); cost <= gas {
				gas -= cost
			} else {
				return p.handOver(m, pc, at, gas)
			}
			t[ptr+int(in.a)] += in.f * n
			e := &insts[next]
			t[ptr+int(e.off)] += e.n * n
			t[at] = in.set
			pc = next + 1
		case opMul:
			at := ptr + int(in.off)
			n := t[at] * in.n
			pc = next + int(in.a)
			if n != 0 {
				cost := uint64(n) * uint64(in.b)
				if cost > gas {
					return p.handOver(m, next-1-int(in.k), at, gas)
				}
				gas -= cost
				for j := next; j < pc; j++ {
					e := &insts[j]
					t[ptr+int(e.off)] += e.n * n
				}
			}
			t[at] = in.set
		case opJnz:
			ptr += int(in.off)
			if t[ptr] != 0 {
				pc = int(in.a)
			} else if g := uint64(in.n); gas >= g {
				gas -= g
				pc = int(in.z)
			} else {
				pc = int(in.b)
			}
			goto enter
		case opLoopMul1:
			ptr += int(in.off)
			if t[ptr] == 0 {
				if g := uint64(in.n); gas >= g {
					gas -= g
					pc = int(in.z)
				} else {
					pc = int(in.b)
				}
				goto enter
			}
			pc = int(in.a)
			h, mul := &insts[pc], &insts[pc+1]
			static, lo, span := uint64(uint32(h.k)), int(h.a), uint(h.b)
			for uint(ptr-lo) < span && gas >= static {
				at := ptr + int(mul.off)
				n := t[at] * mul.n
				cost := static + uint64(n)*uint64(mul.b)
				if cost > gas {
					break
				}
				gas -= cost
				t[ptr+int(mul.a)] += mul.f * n
				t[at] = mul.set
				ptr += int(in.off)
				if t[ptr] == 0 {
					if g := uint64(in.n); gas >= g {
						gas -= g
						pc = int(in.z)
					} else {
						pc = int(in.b)
					}
					break
				}
			}
			goto enter
		case opLoop:
			ptr += int(in.off)
			if t[ptr] == 0 {
				if g := uint64(in.n); gas >= g {
					gas -= g
					pc = int(in.z)
				} else {
					pc = int(in.b)
				}
				goto enter
			}
			body, end := int(in.a), pc
			h := &insts[body]
			static, lo, span := uint64(uint32(h.k)), int(h.a), uint(h.b)
			pc = body
			for uint(ptr-lo) < span && gas >= static {
				gas -= static
				for q := body + 1; q < end; {
					op := &insts[q]
					next := q + 1 + int(op.k)
					for j := q + 1; j < next; j++ {
						e := &insts[j]
						t[ptr+int(e.off)] += e.n
					}
					at := ptr + int(op.off)
					n := t[at] * op.n
					if cost := uint64(n) * uint64(op.b); cost <= gas {
						gas -= cost
					} else {
						return p.handOver(m, q, at, gas)
					}
					if op.op != opClear {
						t[ptr+int(op.a)] += op.f * n
						if op.op == opMul2 {
							e := &insts[next]
							t[ptr+int(e.off)] += e.n * n
							next++
						}
					}
					t[at] = op.set
					q = next
				}
				for j := end + 1; j < end+1+int(in.k); j++ {
					e := &insts[j]
					t[ptr+int(e.off)] += e.n
				}
				ptr += int(in.off)
				if t[ptr] == 0 {
					if g := uint64(in.n); gas >= g {
						gas -= g
						pc = int(in.z)
					} else {
						pc = int(in.b)
					}
					break
				}
			}
			goto enter
		case opLoopMul2:
			ptr += int(in.off)
			if t[ptr] == 0 {
				if g := uint64(in.n); gas >= g {
					gas -= g
					pc = int(in.z)
				} else {
					pc = int(in.b)
				}
				goto enter
			}
			pc = int(in.a)
			h, mul, e := &insts[pc], &insts[pc+1], &insts[pc+2]
			static, lo, span := uint64(uint32(h.k)), int(h.a), uint(h.b)
			for uint(ptr-lo) < span && gas >= static {
				at := ptr + int(mul.off)
				n := t[at] * mul.n
				cost := static + uint64(n)*uint64(mul.b)
				if cost > gas {
					break
				}
				gas -= cost
				t[ptr+int(mul.a)] += mul.f * n
				t[ptr+int(e.off)] += e.n * n
				t[at] = mul.set
				ptr += int(in.off)
				if t[ptr] == 0 {
					if g := uint64(in.n); gas >= g {
						gas -= g
						pc = int(in.z)
					} else {
						pc = int(in.b)
					}
					break
				}
			}
			goto enter
		case opJz:
			ptr += int(in.off)
			if t[ptr] != 0 {
				pc = int(in.a)
			} else if g := uint64(in.n); gas >= g {
				gas -= g
				pc = int(in.z)
			} else {
				pc = int(in.b)
			}
			goto enter
		case opScan:
			ptr += int(in.off)
			end, ok := scan(t, ptr, int(in.a))
			if ok {
				n := uint64((end - ptr) / int(in.a))
				step := uint64(max(in.a, -in.a))
				if cost := GasStep + n*(step+GasStep); cost <= gas {
					gas -= cost
					ptr = end
					pc = int(in.b)
					if g := uint64(in.n); gas >= g {
						gas -= g
						pc = int(in.z)
					}
					goto enter
				}
			}
			// Off the tape or out of gas: the plain interpreter finds where.
			return p.handOver(m, pc, ptr, gas)
		case opOut:
			if len(m.out) >= m.maxOut {
				return p.handOver(m, pc, ptr+int(in.off), gas)
			}
			m.out = append(m.out, t[ptr+int(in.off)])
			pc = next
		case opIn:
			var c byte // past the end of the input, reads store 0
			if m.inPos < len(m.input) {
				c = m.input[m.inPos]
				m.inPos++
			}
			t[ptr+int(in.off)] = c
			pc = next
		case opForever:
			if t[ptr+int(in.off)] != 0 {
				m.ptr, m.gas = ptr+int(in.off), gas
				return m.outOfGas(int(p.fall[pc].src)), 0, true
			}
			pc = next
		case opEnd:
			m.ptr, m.gas = ptr, gas
			return m.ok(), 0, true
		default:
			panic("vm: bad instruction") // headers and entries are never dispatched
		}
	}
}

// handOver stops exec at instruction pc, which could not run (out of gas
// inside a fused loop or later in its block, off the tape, or the output
// full), so that the plain interpreter resumes at its first source command:
// with the pointer there and the static gas charged in advance for the
// rest of the block given back.
func (p *Program) handOver(m *machine, pc, ptr int, gas uint64) (Result, int, bool) {
	f := &p.fall[pc]
	m.ptr, m.gas = ptr, gas+f.rest
	return Result{}, int(f.src), false
}

// scan returns where a scan loop stepping by step from ptr stops (the first
// zero cell), and false if it would leave the tape first.
func scan(t *Tape, ptr, step int) (int, bool) {
	switch step {
	case 1:
		i := bytes.IndexByte(t[ptr:], 0)
		return ptr + i, i >= 0
	case -1:
		i := bytes.LastIndexByte(t[:ptr+1], 0)
		return i, i >= 0
	}
	for t[ptr] != 0 {
		ptr += step
		if ptr < 0 || ptr >= TapeSize {
			return 0, false
		}
	}
	return ptr, true
}
