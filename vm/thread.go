package vm

// Jump threading. A block that is nothing but a bracket, with no add and
// no pointer move (the "]" of "]]", the "[" of "]["), leads on a zero
// cell straight to its own zero target: its cell is the one the jump into
// it just tested. Nested loops that exit together (the "]]]]]" ending the
// divide-by-ten chains of factor.b) are such runs of blocks. A jump that
// lands on a zero cell (the zero side of [ and ], and a scan's end) goes to
// the end of the run at once, charging the run's gas (one GasStep per
// bracket) in one step, when the gas left covers it; otherwise it takes
// the first block as before, which finds the exact point where the gas
// runs out.

// maxThread bounds the gas of a threaded run (it is kept in inst.zeroGas).
const maxThread = 255

// loneBracket reports whether the block at h is a bare [ or ] that always
// passes its reach check (its static gas is its bracket's), and returns
// its jump instruction.
func (p *Program) loneBracket(h int32) (*inst, bool) {
	hdr, j := &p.insts[h], &p.insts[h+1]
	ok := (j.op == opJz || j.op == opJnz) && j.adds == 0 && j.off == 0 &&
		hdr.reachLo() == 0 && hdr.reachSpan() == TapeSize && hdr.staticGas() == GasStep
	return j, ok
}

// thread sets zero and zeroGas of every jump and scan, in time linear in the
// program: heads are the block headers in order. A lone bracket's zero
// target is always a later block, so one pass from the last block back
// finds, for each block, the length d of the run of lone brackets it
// starts and the first block down that run whose own d is a multiple of
// maxThread (a checkpoint). A jump onto the run is threaded to that
// checkpoint: at most maxThread brackets, and as far as the run goes when
// it is shorter.
func (p *Program) thread(heads []int32) {
	d := make([]int32, len(p.insts))    // by header: lone brackets in the run it starts
	stop := make([]int32, len(p.insts)) // by header: where a jump onto it is threaded to
	for i := len(heads) - 1; i >= 0; i-- {
		h := heads[i]
		j, ok := p.loneBracket(h)
		if !ok {
			stop[h] = h
			continue
		}
		next := j.after
		d[h] = d[next] + 1
		if d[next]%maxThread == 0 {
			stop[h] = next
		} else {
			stop[h] = stop[next]
		}
	}
	for i := range p.insts {
		in := &p.insts[i]
		if in.op != opJz && in.op != opJnz && in.op != opScan {
			continue
		}
		z := stop[in.after]
		in.zero, in.zeroGas = z, uint8(uint32(d[in.after]-d[z])*GasStep)
	}
}
