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

// maxThread bounds the gas of a threaded run (it is kept in inst.n).
const maxThread = 255

// loneBracket reports whether the block at h is a bare [ or ] that always
// passes its reach check, and returns its jump instruction.
func (p *Program) loneBracket(h int32) (*inst, bool) {
	hdr, j := &p.insts[h], &p.insts[h+1]
	ok := (j.op == opJz || j.op == opJnz) && j.k == 0 && j.off == 0 &&
		hdr.a == 0 && hdr.b == TapeSize
	return j, ok
}

// thread sets z and n of every jump and scan.
func (p *Program) thread() {
	for i := range p.insts {
		in := &p.insts[i]
		if in.op != opJz && in.op != opJnz && in.op != opScan {
			continue
		}
		z, g := in.b, int32(0)
		for {
			j, ok := p.loneBracket(z)
			if !ok || g+p.insts[z].k > maxThread {
				break
			}
			g += p.insts[z].k
			z = j.b
		}
		in.z, in.n = z, uint8(g)
	}
}
