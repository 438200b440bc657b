package vm

// Loops around a closed-form loop. A loop whose body is a closed-form loop
// (closed.go) with only adds and pointer moves before and after it, like
// long.b's "[>[<+++>->>>>>+++[->+++++<]>[-]<<<<<<]<<]", runs one short
// closed-form loop per iteration, and its body need not be balanced (that
// one walks left). Through the dispatch loop each iteration costs three
// block entries and two jumps; the [ and the ] of such a loop (opJzAround,
// opLoopAround) run its iterations themselves instead, doing exactly what the
// dispatch loop does block by block: the body's first block (its adds and
// the inner loop's [, which runs the inner loop in closed form when it
// can: openClosed), then, when the inner loop is done, the block after it
// (adds and the outer ]). Whenever the dispatch loop would go elsewhere
// (a block's entry check fails, the inner loop did not run in one step,
// a zero cell threads past the block after it) it returns that block to
// enter, with the machine exactly where the dispatch loop would have it.

// walk is what the loop instructions of a loop around a closed-form loop
// keep: the pointers, at an iteration's start, from which all of it stays
// on the tape (the reach of the block before the inner loop, the inner
// loop's body and the block after it, each at its offset),
// lo <= ptr < lo+span, and the inner loop's closed form.
type walk struct {
	lo   int
	span uint
	form int // the index of the inner loop's closed form in Program.forms
}

// around makes the opJnz at end, and the opJz opening its loop, the
// loop's own instructions (opLoopAround, opJzAround) when its body is one
// block of adds ending at the [ of a closed-form loop (opJzClosed), and
// its ] is the only instruction, with its adds, of the block after that
// loop. Bare blocks among theirs are made to dispatch them.
func (p *Program) around(end int) {
	first := int(p.insts[end].body)
	jz := &p.insts[first+1]
	if jz.op != opJzClosed || int(jz.after) != end-1 || int(jz.zero) != end-1 || jz.zeroGas != 0 {
		return // not that shape, or a zero inner counter threads past the block after the loop
	}
	// Each header lets its block start in [reachLo, reachLo+reachSpan);
	// the inner loop and the block after it start jz.off cells on.
	lo, hi := p.insts[first].reachLo(), p.insts[first].reachLo()+int(p.insts[first].reachSpan())
	for _, h := range []*inst{&p.insts[jz.body], &p.insts[end-1]} {
		lo, hi = max(lo, h.reachLo()-int(jz.off)), min(hi, h.reachLo()+int(h.reachSpan())-int(jz.off))
	}
	if lo >= hi {
		return
	}
	p.walks = append(p.walks, walk{lo: lo, span: uint(hi - lo), form: int(p.fall[first+1].form) - 1})
	p.fall[end].form = int32(len(p.walks))
	p.insts[end].op = opLoopAround
	p.unbare(end)
	if jz := p.opener(first); jz >= 0 {
		p.insts[jz].op = opJzAround
		p.unbare(jz)
	}
}

// aroundEnd returns the opLoopAround closing the loop that the opJzAround
// in opens: the instruction after the header of the block after the inner
// loop.
func (p *Program) aroundEnd(in *inst) int {
	return int(p.insts[in.body+1].after) + 1
}

// aroundLoop runs the [ or the ] at pc (opJzAround, opLoopAround) of a
// loop around a closed-form loop, from its block's pointer ptr: when its
// cell is not 0, the loop's iterations from the start of its body, until
// the loop ends or the dispatch loop must take over. It returns the block
// to enter, the pointer and the gas left.
//
// An iteration whose reach is on the tape (one check, conservative) and
// whose gas is there, with the inner loop's written cells as every
// iteration leaves them, runs at once; otherwise it goes as the dispatch
// loop would go: openClosed at the inner [, and a return wherever the
// dispatch loop would enter a block other than the next one here.
func (p *Program) aroundLoop(t *Tape, pc, ptr int, gas uint64) (int, int, uint64) {
	insts := p.insts
	in := &insts[pc]
	if ptr += int(in.off); t[ptr] == 0 {
		pc, gas = in.leave(gas)
		return pc, ptr, gas
	}
	if in.op == opJzAround {
		pc = p.aroundEnd(in)
		in = &insts[pc]
	}
	first := int(in.body)
	jz := &insts[first+1]
	w := &p.walks[p.fall[pc].form-1]
	f, lo, span := &p.forms[w.form], w.lo, w.span
	headGas, tailGas := insts[first].staticGas(), insts[pc-1].staticGas()
	headAdds, tailAdds := first+2+int(jz.adds), pc+1+int(in.adds)
	inner, back := int(jz.off), int(in.off)
	for {
		if uint(ptr-lo) >= span || gas < headGas {
			return first, ptr, gas
		}
		gas -= headGas
		addEntries(t, ptr, insts, first+2, headAdds)
		if ptr += inner; t[ptr] != 0 {
			k := iterations(t[ptr], f.step)
			if cost := k * f.gas; k != 0 && cost+tailGas <= gas && f.steady(t, ptr) {
				gas -= cost
				f.step1(t, ptr, uint8(k))
				t[ptr] = 0
			} else if gas = p.openClosed(t, first+1, ptr, gas); t[ptr] != 0 {
				return int(jz.body), ptr, gas
			}
		}
		// The inner counter is 0: its [ or ] leads to the block after it
		// (around checked that no bracket is threaded past it).
		if gas < tailGas {
			return pc - 1, ptr, gas
		}
		gas -= tailGas
		addEntries(t, ptr, insts, pc+1, tailAdds)
		if ptr += back; t[ptr] == 0 {
			next, gas := in.leave(gas)
			return next, ptr, gas
		}
	}
}
