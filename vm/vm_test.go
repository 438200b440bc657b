package vm_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/tinychain/tinychain/vm"
)

// both runs code with both interpreters from the same tape and requires
// identical results; it returns the result and the final tape.
func both(t testing.TB, code string, tape vm.Tape, input []byte, lim vm.Limits) (vm.Result, vm.Tape) {
	t.Helper()
	t1, t2 := tape, tape
	a := vm.RunPlain([]byte(code), &t1, input, lim, nil)
	p, err := vm.Compile([]byte(code))
	if err != nil {
		if !errors.Is(err, vm.ErrUnbalanced) || !errors.Is(a.Err, vm.ErrUnbalanced) {
			t.Fatalf("%q: compile %v, plain %v", code, err, a.Err)
		}
		return a, t1
	}
	b := p.Run(&t2, input, lim)
	sameRun(t, "fast", code, input, lim, a, b, t1, t2)
	// The loaded form runs the plain interpreter on the code's commands
	// alone and maps positions back to the source: the same again.
	l, err := vm.Load([]byte(code))
	if err != nil {
		t.Fatalf("%q: load %v", code, err)
	}
	t3 := tape
	sameRun(t, "loaded", code, input, lim, a, l.Run(&t3, input, lim), t1, t3)
	return a, t1
}

func sameRun(t testing.TB, what, code string, input []byte, lim vm.Limits, a, b vm.Result, t1, t2 vm.Tape) {
	t.Helper()
	same := a.Status == b.Status && a.GasUsed == b.GasUsed && bytes.Equal(a.Output, b.Output) && t1 == t2
	if same && a.Err != nil {
		same = b.Err != nil && a.Err.Error() == b.Err.Error()
	}
	if !same {
		t.Fatalf("%q input %x %+v:\nplain %s gas %d out %x err %v\n%s %s gas %d out %x err %v",
			code, input, lim, a.Status, a.GasUsed, a.Output, a.Err, what, b.Status, b.GasUsed, b.Output, b.Err)
	}
}

func TestSemantics(t *testing.T) {
	big := vm.Limits{Gas: 1 << 40}
	cases := []struct {
		name   string
		code   string
		tape   vm.Tape
		input  string
		lim    vm.Limits
		status vm.Status
		err    error
		gas    uint64
		out    string
	}{
		{"wrap up", "-.", vm.Tape{}, "", big, vm.StatusOK, nil, 4 + 17, "\xff"},
		{"wrap down", "+", vm.Tape{255}, "", big, vm.StatusOK, nil, 4, ""},
		{"left of cell 0", "+<", vm.Tape{}, "", big, vm.StatusFault, vm.ErrTapeLeft, 5, ""},
		{"right of the end", "+[>+]", vm.Tape{}, "", big, vm.StatusFault, vm.ErrTapeRight, 0, ""},
		{"scan off the right end", "[>]", end2(), "", big, vm.StatusFault, vm.ErrTapeRight, 0, ""},
		{"input past end stores 0", ",.,.,.", vm.Tape{}, "A", big, vm.StatusOK, nil, 3 * (4 + 17), "A\x00\x00"},
		{"output cap exactly", "...", vm.Tape{}, "", vm.Limits{Gas: 100, MaxOutput: 3}, vm.StatusOK, nil, 3 * 17, "\x00\x00\x00"},
		{"output overflow keeps output", "+...", vm.Tape{}, "", vm.Limits{Gas: 100, MaxOutput: 2}, vm.StatusFault, vm.ErrOutputOverflow, 4 + 3*17, "\x01\x01"},
		{"unbalanced open", "[", vm.Tape{}, "", big, vm.StatusFault, vm.ErrUnbalanced, 0, ""},
		{"unbalanced close", "]", vm.Tape{}, "", big, vm.StatusFault, vm.ErrUnbalanced, 0, ""},
		{"out of gas on +", "++", vm.Tape{}, "", vm.Limits{Gas: 7}, vm.StatusOutOfGas, vm.ErrOutOfGas, 7, ""},
		{"out of gas on >", ">>", vm.Tape{}, "", vm.Limits{Gas: 1}, vm.StatusOutOfGas, vm.ErrOutOfGas, 1, ""},
		{"out of gas on .", "+.", vm.Tape{}, "", vm.Limits{Gas: 4}, vm.StatusOutOfGas, vm.ErrOutOfGas, 4, ""},
		{"out of gas on ,", ",", vm.Tape{}, "x", vm.Limits{Gas: 3}, vm.StatusOutOfGas, vm.ErrOutOfGas, 3, ""},
		{"out of gas in clear loop", "[-]", vm.Tape{100}, "", vm.Limits{Gas: 250}, vm.StatusOutOfGas, vm.ErrOutOfGas, 250, ""},
		{"clear loop exact", "[-]", vm.Tape{100}, "", vm.Limits{Gas: 501}, vm.StatusOK, nil, 501, ""},
		{"clear loop up", "[+]", vm.Tape{250}, "", big, vm.StatusOK, nil, 1 + 6*5, ""},
		{"out of gas in scan", "[>]", vm.Tape{1, 1, 1, 1}, "", vm.Limits{Gas: 5}, vm.StatusOutOfGas, vm.ErrOutOfGas, 5, ""},
		{"scan left to cell 0", ">>>[<]", vm.Tape{0, 1, 1, 1}, "", big, vm.StatusOK, nil, 3 + 1 + 3*2, ""},
		{"scan off the left end", ">>>[<]", vm.Tape{1, 1, 1, 1}, "", big, vm.StatusFault, vm.ErrTapeLeft, 3 + 1 + 3*2 + 1, ""},
		{"out of gas in multiply", "[->++<]", vm.Tape{10}, "", vm.Limits{Gas: 30}, vm.StatusOutOfGas, vm.ErrOutOfGas, 30, ""},
		{"multiply exact", "[->++<].>.", vm.Tape{10}, "", big, vm.StatusOK, nil, 1 + 10*(4+1+8+1+1) + 17 + 1 + 17, "\x00\x14"},
		{"out of gas in folded run", "+++>+++", vm.Tape{}, "", vm.Limits{Gas: 14}, vm.StatusOutOfGas, vm.ErrOutOfGas, 14, ""},
		{"nested loops", "++[>++[>+<-]<-]>>.", vm.Tape{}, "", big, vm.StatusOK, nil, 0, "\x04"},
		{"comments are free", "hello + world", vm.Tape{}, "", big, vm.StatusOK, nil, 4, ""},
		{"fold wider than the tape", strings.Repeat(">", vm.TapeSize) + "+", vm.Tape{}, "", big, vm.StatusFault, vm.ErrTapeRight, vm.TapeSize, ""},
		{"loop tail folded into ]", "+++[>++<-]>.", vm.Tape{}, "", big, vm.StatusOK, nil, 12 + 1 + 3*(1+8+1+4+1) + 1 + 17, "\x06"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, _ := both(t, c.code, c.tape, []byte(c.input), c.lim)
			if res.Status != c.status || !errors.Is(res.Err, c.err) && c.err != nil || (c.err == nil) != (res.Err == nil) {
				t.Fatalf("status %s err %v, want %s %v", res.Status, res.Err, c.status, c.err)
			}
			if c.gas != 0 && res.GasUsed != c.gas {
				t.Fatalf("gas %d, want %d", res.GasUsed, c.gas)
			}
			if string(res.Output) != c.out {
				t.Fatalf("output %q, want %q", res.Output, c.out)
			}
		})
	}
}

// randomProgram makes bracket-balanced code rich in the loops the fast
// interpreter fuses.
func randomProgram(r *rand.Rand, n int) []byte {
	pieces := []string{"+", "-", ">", "<", ".", ",", "[-]", "[+]", "[>]", "[<]", "[>>]", "[-<+>]", "[->++<]", "[", "]"}
	var code []byte
	depth := 0
	for i := 0; i < n; i++ {
		p := pieces[r.IntN(len(pieces))]
		switch p {
		case "[":
			depth++
		case "]":
			if depth == 0 {
				continue
			}
			depth--
		}
		code = append(code, p...)
	}
	for ; depth > 0; depth-- {
		code = append(code, ']')
	}
	return code
}

func TestDifferentialRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	n := 50_000
	if testing.Short() {
		n = 5_000
	}
	for i := 0; i < n; i++ {
		var tape vm.Tape
		for j := 0; j < 6; j++ {
			tape[j] = byte(r.IntN(4))
		}
		if r.IntN(4) == 0 {
			tape[vm.TapeSize-1], tape[vm.TapeSize-2] = 1, 1
		}
		both(t, string(randomProgram(r, r.IntN(30))), tape, []byte{byte(r.IntN(256)), 3},
			vm.Limits{Gas: uint64(r.IntN(2000)), MaxOutput: r.IntN(4) + 1})
	}
}

func TestTapeCompact(t *testing.T) {
	var tape vm.Tape
	if len(tape.Compact()) != 0 {
		t.Fatal("empty tape not empty")
	}
	tape[0], tape[5] = 1, 2
	c := tape.Compact()
	if !bytes.Equal(c, []byte{1, 0, 0, 0, 0, 2}) {
		t.Fatalf("compact %x", c)
	}
	back, err := vm.LoadTape(c)
	if err != nil || *back != tape {
		t.Fatal("round trip")
	}
	if _, err := vm.LoadTape(make([]byte, vm.TapeSize+1)); err == nil {
		t.Fatal("oversized tape loaded")
	}
}

func TestCache(t *testing.T) {
	c := vm.NewCache(2, 0)
	p1, err := c.Get([32]byte{1}, []byte("+."), 1e6)
	if err != nil {
		t.Fatal(err)
	}
	if p2, _ := c.Get([32]byte{1}, []byte("+."), 1e6); p2 != p1 {
		t.Fatal("cache miss on a hit")
	}
	if _, err := c.Get([32]byte{2}, []byte("["), 1e6); !errors.Is(err, vm.ErrUnbalanced) {
		t.Fatalf("bad code: %v", err)
	}
}

// end2 is a tape whose every cell is 1.
func end2() vm.Tape {
	var t vm.Tape
	for i := range t {
		t[i] = 1
	}
	return t
}
