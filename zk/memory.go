package zk

import (
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/hash/mimc"
	"github.com/consensys/gnark/std/multicommit"
)

// memory collects the rows' accesses and proves them consistent by
// offline memory checking (Blum et al.): every value written is a tuple
// (address, value, time) and every value read names the tuple it takes,
// with the time it was written. Row i (time i+1) reads (ptr, read, last)
// and writes (ptr, write, i+1); each window cell a is written once at
// time 0 with its value before the run, and read once after the run with
// its value after it and the time of its last write. The circuit checks
// that the tuples written and the tuples read are the same multiset and
// that every row reads a tuple written before it (last <= i).
//
// Why that is memory: tuples written are all distinct (one per time, one
// per cell at time 0), so each is read exactly once. Take the first row
// that reads a tuple other than the last one written to its cell before
// it. The tuple it reads was written earlier (the clock check) at the
// same cell, so it is not the cell's last write: a later write came
// after it, and the row of that later write read the cell first, taking
// the last tuple before it; going back along the cell's writes, every
// earlier tuple was already read by the row that came after it. So the
// tuple is read twice, which the multiset equality rules out. Without
// the clock check a row could read a value written after it (the cycle
// the BrainSTARK tutorial's "Attack!" builds), and TestSoundFutureRead
// shows such a witness that balances every multiset. A row at a cell
// outside the window reads a tuple nobody wrote. The final reads take the
// last tuple of every cell, so the tape after the run is what was written.
type memory struct {
	size                   Size
	moves                  []frontend.Variable // the pointer is their prefix sum
	ptr, read, write, last []frontend.Variable
}

func newMemory(s Size) *memory { return &memory{size: s} }

// access records row i's access at ptr, reading the tuple written at time
// last; move is the row's pointer move.
func (m *memory) access(move, ptr, read, write, last frontend.Variable) {
	m.moves = append(m.moves, move)
	m.ptr = append(m.ptr, ptr)
	m.read = append(m.read, read)
	m.write = append(m.write, write)
	m.last = append(m.last, last)
}

// prove checks the clock (row i reads a tuple written at time <= i) and
// the multiset equality by a grand product over a random linear
// combination of each tuple, with challenges drawn from a commitment to
// every value the tuples are made of. final[a] is the time of cell a's
// last write.
func (m *memory) prove(api frontend.API, tape0, tape1, final []frontend.Variable) {
	clock := &rangeTable{n: m.size.Steps}
	for i, l := range m.last {
		clock.check(api.Sub(i, l))
	}
	clock.prove(api)
	committed := make([]frontend.Variable, 0, 4*len(m.moves)+3*len(tape0))
	committed = append(committed, m.moves...)
	committed = append(committed, m.read...)
	committed = append(committed, m.write...)
	committed = append(committed, m.last...)
	committed = append(committed, tape0...)
	committed = append(committed, tape1...)
	committed = append(committed, final...)
	multicommit.WithCommitment(api, func(api frontend.API, beta frontend.Variable) error {
		h, err := mimc.NewMiMC(api)
		if err != nil {
			return err
		}
		h.Write(beta)
		alpha := h.Sum()
		b2 := api.Mul(beta, beta)
		var written, read frontend.Variable = 1, 1
		for i := range m.ptr {
			w := api.Add(m.ptr[i], api.Mul(beta, m.write[i]), api.Mul(b2, i+1))
			written = api.Mul(written, api.Sub(alpha, w))
			r := api.Add(m.ptr[i], api.Mul(beta, m.read[i]), api.Mul(b2, m.last[i]))
			read = api.Mul(read, api.Sub(alpha, r))
		}
		for a := range tape0 {
			written = api.Mul(written, api.Sub(alpha, api.Add(a, api.Mul(beta, tape0[a]))))
			r := api.Add(a, api.Mul(beta, tape1[a]), api.Mul(b2, final[a]))
			read = api.Mul(read, api.Sub(alpha, r))
		}
		api.AssertIsEqual(written, read)
		return nil
	}, committed...)
}
