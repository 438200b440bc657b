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
		h := int(j.a) // the body block's header
		m := &p.insts[h+1]
		switch {
		case m.op == opMul1 && m.k == 0 && j.k == 0 && i == h+2:
			j.op = opLoopMul1
		case m.op == opMul2 && m.k == 0 && j.k == 0 && i == h+3:
			j.op = opLoopMul2
		case p.fusedBody(h+1, i):
			j.op = opLoop
		}
	}
}

// fusedBody reports whether the instructions from pc up to end are all
// clears, opMul1 and opMul2 (with their entries).
func (p *Program) fusedBody(pc, end int) bool {
	for pc < end {
		in := &p.insts[pc]
		next := pc + 1 + int(in.k)
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
