package zk

import "fmt"

// codeRows is the code table of prog padded to n rows with halts.
func codeRows(prog []byte, jump []int32, n int) []uint64 {
	rows := make([]uint64, n)
	for i, c := range prog {
		rows[i] = uint64(opOf[c])
		if c == '[' || c == ']' {
			rows[i] += opSpan * uint64(jump[i])
		}
	}
	return rows
}

// Assign returns the full witness of the run at size s.
func (r *Run) Assign(s Size) (*Circuit, error) {
	if err := s.fits(r); err != nil {
		return nil, fmt.Errorf("zk: does not fit %s: %w", s, err)
	}
	st := r.Statement(s)
	c, err := st.assign()
	if err != nil {
		return nil, err
	}
	assignCode(c, codeRows(r.Prog, r.Jump, s.Code))
	rows, stop, err := r.rowValues()
	if err != nil {
		return nil, err
	}
	for len(rows) < s.Steps {
		rows = append(rows, stop)
	}
	tape0, tape1 := make([]int, s.Window), make([]int, s.Window)
	for a := range tape0 {
		tape0[a], tape1[a] = int(r.TapeIn[a]), int(r.TapeOut[a])
	}
	assignRows(c, rows, tape0, tape1)
	return c, nil
}

// assignCode sets the code table from its packed rows.
func assignCode(c *Circuit, rows []uint64) {
	for i, v := range rows {
		c.CodeOp[i], c.CodePartner[i] = v%opSpan, v/opSpan
	}
}

// assignRows sets the rows, the tape window before and after and the
// memory argument's times: each row reads the tuple its cell's last
// write made (time 0 before the run), and each cell's final read names
// its last write.
func assignRows(c *Circuit, rows []rowValue, tape0, tape1 []int) {
	last := make([]int, len(tape0))
	for i, w := range rows {
		row := &c.Rows[i]
		for k := range row.Op {
			row.Op[k] = 0
		}
		if w.op != opHalt {
			row.Op[w.op-1] = 1
		}
		row.Partner, row.Read, row.Wrap, row.OOG = w.partner, w.read, wrapOf(w), b2i(w.oog)
		row.Last = 0
		if w.ptr < len(last) {
			row.Last = last[w.ptr]
			last[w.ptr] = i + 1
		}
	}
	for a := range tape0 {
		c.Tape0[a], c.Tape1[a], c.Final[a] = tape0[a], tape1[a], last[a]
	}
}

// wrapOf is the row's Wrap: what the write lacks of the read plus or
// minus one, in 256s (a forged write that does not wrap gives 0, and is
// then not a byte).
func wrapOf(w rowValue) int {
	switch {
	case w.exec && w.op == opInc:
		return (w.read + 1 - w.write) / 256
	case w.exec && w.op == opDec:
		return (w.read - 1 - w.write) / 256
	}
	return 0
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
