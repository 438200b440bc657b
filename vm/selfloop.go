package vm

// Self loops and bare blocks: the loops whose iterations are too short for
// the dispatch loop's overhead per block.
//
// A plain loop whose body is one block holding nothing but adds and fused
// clear and multiply loops, and a pointer move, like
// [>>>>>>>[-<<<<+>>>>]>>>], runs its iterations through the dispatch loop
// one block at a time: the block's entry check, the fused loops, the ].
// Its ] becomes a loop instruction (opLoopMul1 or opLoopMul2 when the body
// is one multiply, opLoop otherwise) which, when the loop goes round again,
// runs the following iterations itself, with the body block's entry check
// (static gas and reach, kept in registers) done once per iteration as
// before. opLoopMul1 and opLoopMul2 check an iteration as a whole (its
// static gas plus the multiply's gas, and the reach) before any of it
// acts; when the check fails, they leave the pointer at that iteration's
// start and the gas as it was, and enter the body block the ordinary way,
// which finds the exact point of failure. opLoop charges like the dispatch
// loop, block then fused loop by fused loop, and hands over exactly as it
// does.
//
// A block that is only adds and a bracket (the "->+<[" of factor.b's
// division chains, or ">>>]") is marked opBare in its header: the block
// entry runs it at once, without dispatching its one instruction.

// selfLoops turns the ] of every such loop into its loop instruction.
func (p *Program) selfLoops() {
	for i := range p.insts {
		j := &p.insts[i]
		if j.op != opJnz {
			continue
		}
		h := int(j.body) // the body block's header
		m := &p.insts[h+1]
		switch {
		case m.op == opMul1 && m.adds == 0 && j.adds == 0 && i == h+2:
			j.op = opLoopMul1
		case m.op == opMul2 && m.adds == 0 && j.adds == 0 && i == h+3:
			j.op = opLoopMul2
		case p.fusedBody(h+1, i):
			j.op = opLoop
		default:
			p.around(i)
			continue
		}
		p.closeLoop(i)
	}
}

// runLoop runs the self loop instruction at pc, whose ] found its cell
// (at ptr) not 0, so that the loop goes round again: in closed form when
// it has one (closed.go), then iteration by iteration. It returns the
// block to enter, the pointer and the gas left, and true; or false with
// the instruction that could not run and its pointer, for handOver. The
// [ of a self loop with a closed form (opJzClosed) comes here too, its
// cell not 0: it runs all of the loop in one step when it can, and
// otherwise enters the body; only closed-form loops pay for telling it
// from a ].
func (p *Program) runLoop(t *Tape, pc, ptr int, gas uint64) (int, int, uint64, bool) {
	in := &p.insts[pc]
	if f := p.fall[pc].form; f != 0 {
		if in.op == opJzClosed {
			gas = p.openClosed(t, pc, ptr, gas) // may clear the cell
			next, gas := in.branch(t[ptr], gas)
			return next, ptr, gas, true
		}
		if gas = p.forms[f-1].run(t, ptr, gas, &p.insts[in.body]); t[ptr] == 0 {
			next, gas := in.leave(gas)
			return next, ptr, gas, true
		}
	}
	if in.op == opLoop {
		return p.loopFused(t, pc, ptr, gas)
	}
	next, ptr, gas := p.loopMul(t, pc, ptr, gas)
	return next, ptr, gas, true
}

// loopMul runs the iterations of an opLoopMul1 or opLoopMul2 at pc, each
// checked as a whole (the body block's static gas plus the multiply's, and
// its reach) before any of it acts. It returns the block to enter: after
// the loop, or its body when a check failed, with the pointer at that
// iteration's start and the gas as it was, so that the body block's entry
// finds the exact point of failure.
func (p *Program) loopMul(t *Tape, pc, ptr int, gas uint64) (int, int, uint64) {
	in := &p.insts[pc]
	h, mul := &p.insts[in.body], &p.insts[in.body+1]
	two, second := in.op == opLoopMul2, &p.insts[in.body+2]
	static, lo, span := h.staticGas(), h.reachLo(), h.reachSpan()
	for uint(ptr-lo) < span && gas >= static {
		at := ptr + int(mul.off)
		n := t[at] * mul.per
		cost := static + uint64(n)*mul.iterGas()
		if cost > gas {
			break
		}
		gas -= cost
		t[ptr+int(mul.target())] += mul.factor * n
		if two {
			t[ptr+int(second.off)] += second.delta * n
		}
		t[at] = mul.set
		ptr += int(in.off)
		if t[ptr] == 0 {
			next, gas := in.leave(gas)
			return next, ptr, gas
		}
	}
	return int(in.body), ptr, gas
}

// loopFused runs the iterations of an opLoop at pc, charging as the
// dispatch loop does: the body block's static gas, then each fused loop's.
// When a fused loop's gas is not there it fails, with that instruction and
// its counter's cell.
func (p *Program) loopFused(t *Tape, pc, ptr int, gas uint64) (int, int, uint64, bool) {
	insts := p.insts
	in := &insts[pc]
	body, end := int(in.body), pc
	h := &insts[body]
	static, lo, span := h.staticGas(), h.reachLo(), h.reachSpan()
	for uint(ptr-lo) < span && gas >= static {
		gas -= static
		for q := body + 1; q < end; {
			op := &insts[q]
			next := q + 1 + int(op.adds)
			addEntries(t, ptr, insts, q+1, next)
			at := ptr + int(op.off)
			n := t[at] * op.per
			ok := false
			if gas, ok = charge(gas, n, op); !ok {
				return q, at, gas, false
			}
			if op.op != opClear {
				t[ptr+int(op.target())] += op.factor * n
				if op.op == opMul2 {
					e := &insts[next]
					t[ptr+int(e.off)] += e.delta * n
					next++
				}
			}
			t[at] = op.set
			q = next
		}
		addEntries(t, ptr, insts, end+1, end+1+int(in.adds))
		ptr += int(in.off)
		if t[ptr] == 0 {
			next, gas := in.leave(gas)
			return next, ptr, gas, true
		}
	}
	return body, ptr, gas, true
}

// fusedBody reports whether the instructions from pc up to end are all
// clears, opMul1 and opMul2 (with their entries).
func (p *Program) fusedBody(pc, end int) bool {
	for pc < end {
		in := &p.insts[pc]
		next := pc + 1 + int(in.adds)
		switch in.op {
		case opClear, opMul1:
		case opMul2:
			next++
		default:
			return false
		}
		pc = next
	}
	return pc == end
}
