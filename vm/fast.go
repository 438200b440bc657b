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
// stay in registers; every exit writes it back, and every exit inside a
// block is handOver. Input and output are rare and stay in the machine.
// The cases that dominate the standard programs' profiles (bare blocks,
// clears, one-target multiplies, jumps, self loops, scans) keep their
// fast path inline; the rarer instructions' bodies are helpers of their
// own (fused, inOut, finish), as are the loops that run their iterations
// themselves (runLoop, aroundLoop, scanLoop, runChain).
func (p *Program) exec(m *machine, pc int) (Result, int, bool) {
	insts, t := p.insts, m.tape
	ptr, gas := m.ptr, m.gas
	ok := false
enter: // one check for the whole block: its static gas and its reach
	if h := &insts[pc]; !h.fits(ptr, gas) {
		m.ptr, m.gas = ptr, gas
		return Result{}, int(h.off), false
	} else if gas -= h.staticGas(); h.op == opBare {
		// Only adds and a bracket: run here, without a dispatch.
		in := &insts[pc+1]
		if in.op == opJzChain {
			pc, gas = p.runChain(t, pc+1, ptr, gas)
			goto enter
		}
		addEntries(t, ptr, insts, pc+2, pc+2+int(in.adds))
		ptr += int(in.off)
		pc, gas = in.branch(t[ptr], gas)
		goto enter
	}
	pc++
	for {
		in := &insts[pc]
		next := pc + 1 + int(in.adds)
		addEntries(t, ptr, insts, pc+1, next)
		switch in.op {
		case opClear:
			at := ptr + int(in.off)
			if gas, ok = charge(gas, t[at]*in.per, in); !ok {
				return p.handOver(m, pc, at, gas)
			}
			t[at] = in.set
			pc = next
		case opMul1:
			at := ptr + int(in.off)
			n := t[at] * in.per
			if gas, ok = charge(gas, n, in); !ok {
				return p.handOver(m, pc, at, gas)
			}
			t[ptr+int(in.target())] += in.factor * n
			t[at] = in.set
			pc = next
		case opMul2, opMul:
			at := ptr + int(in.off)
			n := t[at] * in.per
			if gas, ok = charge(gas, n, in); !ok {
				return p.handOver(m, pc, at, gas)
			}
			pc = fused(t, ptr, insts, pc, next, n)
		case opJz, opJnz, opJzChain:
			ptr += int(in.off)
			pc, gas = in.branch(t[ptr], gas)
			goto enter
		case opLoopMul1, opLoopMul2, opLoop, opJzClosed:
			if ptr += int(in.off); t[ptr] == 0 {
				pc, gas = in.leave(gas)
			} else if pc, ptr, gas, ok = p.runLoop(t, pc, ptr, gas); !ok {
				return p.handOver(m, pc, ptr, gas)
			}
			goto enter
		case opJzAround, opLoopAround:
			pc, ptr, gas = p.aroundLoop(t, pc, ptr, gas)
			goto enter
		case opScan:
			if pc, ptr, gas, ok = p.scanLoop(t, pc, ptr+int(in.off), gas); !ok {
				return p.handOver(m, pc, ptr, gas)
			}
			goto enter
		case opIn, opOut: // rare: they work on the machine's input and output
			if at := ptr + int(in.off); !m.inOut(in.op, &t[at]) {
				return p.handOver(m, pc, at, gas)
			}
			pc = next
		default: // opForever, opEnd
			if in.op == opEnd || t[ptr+int(in.off)] != 0 {
				return p.finish(m, pc, ptr, gas), 0, true
			}
			pc = next
		}
	}
}

// addEntries adds the entries insts[from:to] to their cells.
func addEntries(t *Tape, ptr int, insts []inst, from, to int) {
	for j := from; j < to; j++ {
		e := &insts[j]
		t[ptr+int(e.off)] += e.delta
	}
}

// branch is where a jump leads from a cell: into the body when it is not
// 0, out of the loop (leave) when it is. It returns the block and the gas
// left.
func (in *inst) branch(cell byte, gas uint64) (int, uint64) {
	if cell != 0 {
		return int(in.body), gas
	}
	return in.leave(gas)
}

// leave is the exit of a jump, a loop instruction or a scan on a zero
// cell: threaded past the bare brackets after it, charging their gas in
// one step, when the gas left covers them; otherwise to the next block,
// which finds the exact point where the gas runs out.
func (in *inst) leave(gas uint64) (int, uint64) {
	if g := uint64(in.zeroGas); gas >= g {
		return int(in.zero), gas - g
	}
	return int(in.after), gas
}

// charge takes the gas of n iterations of the fused loop in, and reports
// whether it was there. A zero count costs nothing, branch free.
func charge(gas uint64, n uint8, in *inst) (uint64, bool) {
	if cost := uint64(n) * in.iterGas(); cost <= gas {
		return gas - cost, true
	}
	return gas, false
}

// fused applies the multiply at pc (opMul2 or opMul; exec runs the
// commoner opMul1 inline), whose adds (ending at next) have run, for n
// iterations already charged, and returns the next instruction.
func fused(t *Tape, ptr int, insts []inst, pc, next int, n uint8) int {
	in := &insts[pc]
	switch in.op {
	case opMul2:
		t[ptr+int(in.target())] += in.factor * n
		e := &insts[next]
		t[ptr+int(e.off)] += e.delta * n
		next++
	case opMul:
		end := next + int(in.targets())
		for j := next; j < end; j++ {
			e := &insts[j]
			t[ptr+int(e.off)] += e.delta * n
		}
		next = end
	case opMul1:
		t[ptr+int(in.target())] += in.factor * n
	}
	t[ptr+int(in.off)] = in.set
	return next
}

// scanLoop runs the scan at pc from ptr (the block's pointer moved by the
// scan's offset). It returns the block to enter, the pointer, the gas
// left and true; or false when the scan leaves the tape or the gas runs
// out, with pc and ptr as handOver needs them: the plain interpreter then
// finds where.
func (p *Program) scanLoop(t *Tape, pc, ptr int, gas uint64) (int, int, uint64, bool) {
	in := &p.insts[pc]
	step := int(in.step())
	end, ok := scan(t, ptr, step)
	if !ok {
		return pc, ptr, gas, false
	}
	n := uint64((end - ptr) / step)
	if cost := GasStep + n*(uint64(max(step, -step))+GasStep); cost <= gas {
		pc, gas = in.leave(gas - cost)
		return pc, end, gas, true
	}
	return pc, ptr, gas, false
}

// output appends c to the output and reports whether the cap allowed it.
func (m *machine) output(c byte) bool {
	if len(m.out) >= m.maxOut {
		return false
	}
	m.out = append(m.out, c)
	return true
}

// inOut runs opIn or opOut on the cell c, and reports false when the
// output is full (the . does not run).
func (m *machine) inOut(op opcode, c *byte) bool {
	if op == opIn {
		m.input1(c)
		return true
	}
	return m.output(*c)
}

// input1 stores the next input byte in *c, or 0 past the end of the
// input.
func (m *machine) input1(c *byte) {
	*c = 0
	if m.inPos < len(m.input) {
		*c = m.input[m.inPos]
		m.inPos++
	}
}

// finish ends the run at opEnd (the end of the code) or at an opForever
// whose cell is not 0 (it spins at its ] until the gas runs out).
func (p *Program) finish(m *machine, pc, ptr int, gas uint64) Result {
	in := &p.insts[pc]
	m.ptr, m.gas = ptr, gas
	switch in.op {
	case opEnd:
		return m.ok()
	case opForever:
	default:
		panic("vm: bad instruction") // headers and entries are never dispatched
	}
	m.ptr += int(in.off)
	return m.outOfGas(int(p.fall[pc].src))
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
