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

// around makes the opJnz at end, and the opJz opening its loop, the
// loop's own instructions (opLoopAround, opJzAround) when its body is one
// block of adds ending at the [ of a closed-form loop (opJzClosed), and
// its ] is the only instruction, with its adds, of the block after that
// loop. Bare blocks among theirs are made to dispatch them.
func (p *Program) around(end int) {
	h := int(p.insts[end].body)
	if jz := &p.insts[h+1]; jz.op != opJzClosed || int(jz.after) != end-1 {
		return
	}
	p.insts[end].op = opLoopAround
	p.unbare(end)
	if jz := p.opener(h); jz >= 0 {
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

// aroundLoop runs the loop whose opLoopAround is at pc from the start of
// its body, its [ or its ] having found its cell (at ptr) not 0, until the
// loop ends or the dispatch loop must take over. It
// returns the block to enter, the pointer and the gas left.
func (p *Program) aroundLoop(t *Tape, pc, ptr int, gas uint64) (int, int, uint64) {
	insts := p.insts
	in := &insts[pc]
	first := int(in.body)
	jz := &insts[first+1]
	head, tail := &insts[first], &insts[pc-1]
	for {
		if !head.fits(ptr, gas) {
			return first, ptr, gas
		}
		gas -= head.staticGas()
		addEntries(t, ptr, insts, first+2, first+2+int(jz.adds))
		ptr += int(jz.off)
		if t[ptr] != 0 {
			if gas = p.openClosed(t, first+1, ptr, gas); t[ptr] != 0 {
				return int(jz.body), ptr, gas
			}
		}
		next, left := jz.leave(gas)
		if gas = left; next != pc-1 || !tail.fits(ptr, gas) {
			return next, ptr, gas
		}
		gas -= tail.staticGas()
		addEntries(t, ptr, insts, pc+1, pc+1+int(in.adds))
		if ptr += int(in.off); t[ptr] == 0 {
			next, gas := in.leave(gas)
			return next, ptr, gas
		}
	}
}
