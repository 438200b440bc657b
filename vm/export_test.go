package vm

// AroundLoops returns how many loops of p run around a closed-form loop
// (around.go): the fuzz generators' tests check that they make some.
func AroundLoops(p *Program) int {
	n := 0
	for _, in := range p.insts {
		if in.op == opLoopAround {
			n++
		}
	}
	return n
}

// Chains returns how many counting chains (chain.go) p has.
func Chains(p *Program) int { return len(p.runs) }
