package zk

import (
	"math/bits"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/hash/mimc"
	"github.com/consensys/gnark/std/multicommit"
)

// memory collects the rows' accesses and proves them consistent: the
// accesses (address, time, read, write), one initial access (a, 0, v, v)
// per window cell a with its value v before the run and one final access
// (a, N+1, v', v') with its value after it are, as a multiset, the rows
// of the sorted table, which checkSorted holds to the rules of memory.
type memory struct {
	size             Size
	moves            []frontend.Variable // the pointer is their prefix sum
	ptr, read, write []frontend.Variable
	addrs            []frontend.Variable // the sorted table's addresses
}

func newMemory(s Size) *memory { return &memory{size: s} }

// access records row i's access at ptr; move is the row's pointer move.
func (m *memory) access(i int, move, ptr, read, write frontend.Variable) {
	m.moves = append(m.moves, move)
	m.ptr = append(m.ptr, ptr)
	m.read = append(m.read, read)
	m.write = append(m.write, write)
}

// checkSorted holds the sorted table to the rules: it starts at address 0,
// time 0; each row either has the previous row's address, a strictly
// later time and reads what the previous row wrote, or has the next
// address and time 0 (the address's initial access). Since the only
// accesses at time 0 are the window's initial ones, no access can lie
// outside the window.
func (m *memory) checkSorted(api frontend.API, rc frontend.Rangechecker, rows []Cell) {
	tb := bits.Len(uint(m.size.Steps + 1))
	var addr frontend.Variable = 0
	api.AssertIsEqual(rows[0].Same, 0)
	api.AssertIsEqual(rows[0].Time, 0)
	m.addrs = append(m.addrs, addr)
	for j := 1; j < len(rows); j++ {
		s, prev, r := rows[j].Same, rows[j-1], rows[j]
		api.AssertIsBoolean(s)
		addr = api.Add(addr, api.Sub(1, s))
		m.addrs = append(m.addrs, addr)
		api.AssertIsEqual(api.Mul(s, api.Sub(r.Read, prev.Write)), 0)
		api.AssertIsEqual(api.Mul(api.Sub(1, s), r.Time), 0)
		rc.Check(api.Mul(s, api.Sub(r.Time, prev.Time, 1)), tb)
	}
}

// prove checks the multiset equality by a grand product over a random
// linear combination of each tuple, with challenges drawn from a
// commitment to every value the tuples are made of.
func (m *memory) prove(api frontend.API, tape0, tape1 []frontend.Variable, rows []Cell) {
	committed := make([]frontend.Variable, 0, 3*len(m.moves)+2*len(tape0)+4*len(rows))
	committed = append(committed, m.moves...)
	committed = append(committed, m.read...)
	committed = append(committed, m.write...)
	committed = append(committed, tape0...)
	committed = append(committed, tape1...)
	for _, r := range rows {
		committed = append(committed, r.Same, r.Time, r.Read, r.Write)
	}
	multicommit.WithCommitment(api, func(api frontend.API, beta frontend.Variable) error {
		h, err := mimc.NewMiMC(api)
		if err != nil {
			return err
		}
		h.Write(beta)
		alpha := h.Sum()
		b2 := api.Mul(beta, beta)
		b3 := api.Mul(b2, beta)
		b23 := api.Add(b2, b3)
		var left, right frontend.Variable = 1, 1
		for i := range m.ptr {
			c := api.Add(m.ptr[i], api.Mul(beta, i+1), api.Mul(b2, m.read[i]), api.Mul(b3, m.write[i]))
			left = api.Mul(left, api.Sub(alpha, c))
		}
		end := api.Mul(beta, m.size.Steps+1)
		for a := range tape0 {
			left = api.Mul(left, api.Sub(alpha, api.Add(a, api.Mul(b23, tape0[a]))))
			left = api.Mul(left, api.Sub(alpha, api.Add(a, end, api.Mul(b23, tape1[a]))))
		}
		for j, r := range rows {
			c := api.Add(m.addrs[j], api.Mul(beta, r.Time), api.Mul(b2, r.Read), api.Mul(b3, r.Write))
			right = api.Mul(right, api.Sub(alpha, c))
		}
		api.AssertIsEqual(left, right)
		return nil
	}, committed...)
}
