package vm_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/tinychain/tinychain/vm"
)

// tapeOf returns a tape starting with cells.
func tapeOf(cells ...byte) vm.Tape {
	var t vm.Tape
	copy(t[:], cells)
	return t
}

// TestFaultState pins the exact gas, error position and tape at the
// moment of every kind of failure, inside each kind of fused instruction,
// for both interpreters (both requires them to agree on the whole tape).
func TestFaultState(t *testing.T) {
	ones := end2()
	ones[vm.TapeSize-1] = 0
	cases := []struct {
		name   string
		code   string
		tape   vm.Tape
		lim    vm.Limits
		status vm.Status
		err    error
		pos    int    // byte offset of the failing command
		gas    uint64 // gas used
		cells  []byte // expected first cells of the final tape
		out    string
	}{
		// The [ costs 1, each iteration 4+1: 49 iterations leave 4 gas,
		// enough for one more - but not for its ].
		{"out of gas in clear", "[-]", tapeOf(100), vm.Limits{Gas: 250}, vm.StatusOutOfGas, vm.ErrOutOfGas, 2, 250, []byte{50}, ""},
		{"out of gas in clear up", "[+]", tapeOf(200), vm.Limits{Gas: 21}, vm.StatusOutOfGas, vm.ErrOutOfGas, 1, 21, []byte{204}, ""},
		// One iteration of 15 gas leaves 14: - > + + < run, ] does not.
		{"out of gas in multiply", "[->++<]", tapeOf(10), vm.Limits{Gas: 30}, vm.StatusOutOfGas, vm.ErrOutOfGas, 6, 30, []byte{8, 4}, ""},
		{"out of gas in multiply up", "[+>-<]", tapeOf(254), vm.Limits{Gas: 12}, vm.StatusOutOfGas, vm.ErrOutOfGas, 1, 12, []byte{255, 255}, ""},
		{"out of gas in set", "+>[-]++", tapeOf(0, 3), vm.Limits{Gas: 25}, vm.StatusOutOfGas, vm.ErrOutOfGas, 6, 25, []byte{1, 1}, ""},
		{"out of gas in scan", "[>]", tapeOf(1, 1, 1, 1), vm.Limits{Gas: 5}, vm.StatusOutOfGas, vm.ErrOutOfGas, 1, 5, []byte{1, 1, 1, 1}, ""},
		{"out of gas in wide scan", "[>>>]", tapeOf(1, 0, 0, 1), vm.Limits{Gas: 6}, vm.StatusOutOfGas, vm.ErrOutOfGas, 2, 6, []byte{1, 0, 0, 1}, ""},
		{"out of gas in []", "+[]", vm.Tape{}, vm.Limits{Gas: 100}, vm.StatusOutOfGas, vm.ErrOutOfGas, 2, 100, []byte{1}, ""},
		{"out of gas in folded run", "+++>+++", vm.Tape{}, vm.Limits{Gas: 14}, vm.StatusOutOfGas, vm.ErrOutOfGas, 4, 14, []byte{3, 0}, ""},
		{"out of gas on ]", "+[-]", vm.Tape{}, vm.Limits{Gas: 9}, vm.StatusOutOfGas, vm.ErrOutOfGas, 3, 9, []byte{0}, ""},
		{"out of gas on [", "+[-]", vm.Tape{}, vm.Limits{Gas: 4}, vm.StatusOutOfGas, vm.ErrOutOfGas, 1, 4, []byte{1}, ""},
		{"out of gas with zero gas", "+", vm.Tape{}, vm.Limits{Gas: 0}, vm.StatusOutOfGas, vm.ErrOutOfGas, 0, 0, []byte{0}, ""},
		{"out of gas keeps output", "+.+.+.", vm.Tape{}, vm.Limits{Gas: 46}, vm.StatusOutOfGas, vm.ErrOutOfGas, 5, 46, []byte{3}, "\x01\x02"},
		{"< at cell 0", "+<", vm.Tape{}, vm.Limits{Gas: 100}, vm.StatusFault, vm.ErrTapeLeft, 1, 5, []byte{1}, ""},
		{"< at cell 0 after output", "+.<+", vm.Tape{}, vm.Limits{Gas: 100}, vm.StatusFault, vm.ErrTapeLeft, 2, 4 + 17 + 1, []byte{1}, "\x01"},
		{"multiply reaching left of cell 0", "+[<+>-]", vm.Tape{}, vm.Limits{Gas: 100}, vm.StatusFault, vm.ErrTapeLeft, 2, 6, []byte{1}, ""},
		{"scan off the left end", ">>>[<]", tapeOf(1, 1, 1, 1), vm.Limits{Gas: 100}, vm.StatusFault, vm.ErrTapeLeft, 4, 11, []byte{1, 1, 1, 1}, ""},
		// Scan to the last cell, then one > too many.
		{"> at the last cell", "[>]+>", ones, vm.Limits{Gas: math.MaxUint64}, vm.StatusFault, vm.ErrTapeRight, 4, 1 + 2*(vm.TapeSize-1) + 4 + 1, []byte{1, 1}, ""},
		{"scan off the right end", "[>]", end2(), vm.Limits{Gas: math.MaxUint64}, vm.StatusFault, vm.ErrTapeRight, 1, 1 + 2*(vm.TapeSize-1) + 1, []byte{1, 1}, ""},
		{"output cap", "+.+.+.", vm.Tape{}, vm.Limits{Gas: 100, MaxOutput: 2}, vm.StatusFault, vm.ErrOutputOverflow, 5, 3 * (4 + 17), []byte{3}, "\x01\x02"},
		{"no output allowed", "+.", vm.Tape{}, vm.Limits{Gas: 100, MaxOutput: -1}, vm.StatusFault, vm.ErrOutputOverflow, 1, 4 + 17, []byte{1}, ""},
		{"output cap in a loop", "+++[.-]", vm.Tape{}, vm.Limits{Gas: 100, MaxOutput: 2}, vm.StatusFault, vm.ErrOutputOverflow, 4, 12 + 1 + 2*(17+4+1) + 17, []byte{1}, "\x03\x02"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, tape := both(t, c.code, c.tape, nil, c.lim)
			if res.Status != c.status || !errors.Is(res.Err, c.err) {
				t.Fatalf("status %s err %v, want %s %v", res.Status, res.Err, c.status, c.err)
			}
			var pe *vm.PosError
			if !errors.As(res.Err, &pe) || pe.Pos != c.pos {
				t.Fatalf("error %v, want at byte %d", res.Err, c.pos)
			}
			if res.GasUsed != c.gas {
				t.Fatalf("gas %d, want %d", res.GasUsed, c.gas)
			}
			if string(tape[:len(c.cells)]) != string(c.cells) {
				t.Fatalf("tape %v, want %v", tape[:len(c.cells)], c.cells)
			}
			if string(res.Output) != c.out {
				t.Fatalf("output %q, want %q", res.Output, c.out)
			}
		})
	}
}

// TestRuns pins successful runs that exercise each fused instruction and
// the hand-over from the plain interpreter back to the fast one.
func TestRuns(t *testing.T) {
	cases := []struct {
		name  string
		code  string
		tape  vm.Tape
		input string
		gas   uint64
		cells []byte
		out   string
	}{
		{"+ wraps at 255", "+", tapeOf(255), "", 4, []byte{0}, ""},
		{"- wraps at 0", "-", vm.Tape{}, "", 4, []byte{255}, ""},
		{"clear", "[-]", tapeOf(7), "", 1 + 7*5, []byte{0}, ""},
		{"clear up", "[+]", tapeOf(254), "", 1 + 2*5, []byte{0}, ""},
		{"clear of zero", "[-]", vm.Tape{}, "", 1, []byte{0}, ""},
		{"clear then set", "[-]+++", tapeOf(9), "", 1 + 9*5 + 12, []byte{3}, ""},
		{"multiply", "[->+>+++<<]", tapeOf(3, 1), "", 1 + 3*(4+1+4+1+12+2+1), []byte{0, 4, 9}, ""},
		{"multiply wraps", "[->++<]", tapeOf(200), "", 1 + 200*15, []byte{0, 144}, ""},
		{"multiply up", "[+>+<]", tapeOf(250), "", 1 + 6*11, []byte{0, 6}, ""},
		{"multiply with the counter touched twice", "[-->+<+]", tapeOf(2), "", 1 + 2*(8+1+4+1+4+1), []byte{0, 2}, ""},
		{"step two stays a plain loop", "[--]", tapeOf(4), "", 1 + 2*9, []byte{0}, ""},
		{"scan right", "[>]", tapeOf(1, 1, 0), "", 1 + 2*2, []byte{1, 1, 0}, ""},
		{"scan by three", ">>>>>>[<<<]", tapeOf(0, 0, 0, 5, 0, 0, 5), "", 6 + 1 + 2*4, nil, ""},
		{"[] on zero", "[]+", vm.Tape{}, "", 5, []byte{1}, ""},
		{"nested loops", "++[>++[>+<-]<-]>>.", vm.Tape{}, "", 0, []byte{0, 0, 4}, "\x04"},
		{"input past its end stores 0", ",>,>,", tapeOf(9, 9, 9), "A", 14, []byte{'A', 0, 0}, ""},
		{"comments are free", "a+b\x00\xff#>", vm.Tape{}, "", 5, []byte{1}, ""},
		// The multiply's reach starts left of cell 0, so the block falls
		// back to the plain interpreter, which skips the loop and hands
		// back at the next block.
		{"fallback then fast again", "[-<+>]+++[->++<]>.", vm.Tape{}, "", 0, []byte{0, 6}, "\x06"},
		{"tape persists", ">[-<+>]<.", tapeOf(2, 5), "", 0, []byte{7, 0}, "\x07"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, tape := both(t, c.code, c.tape, []byte(c.input), vm.Limits{Gas: 1 << 20})
			if res.Status != vm.StatusOK || res.Err != nil {
				t.Fatalf("%s %v", res.Status, res.Err)
			}
			if c.gas != 0 && res.GasUsed != c.gas {
				t.Fatalf("gas %d, want %d", res.GasUsed, c.gas)
			}
			if string(tape[:len(c.cells)]) != string(c.cells) {
				t.Fatalf("tape %v, want %v", tape[:len(c.cells)], c.cells)
			}
			if string(res.Output) != c.out {
				t.Fatalf("output %q, want %q", res.Output, c.out)
			}
			// Exactly the gas used is enough; one less runs out.
			if res.GasUsed > 0 {
				r, _ := both(t, c.code, c.tape, []byte(c.input), vm.Limits{Gas: res.GasUsed})
				if r.Status != vm.StatusOK {
					t.Fatalf("with exactly its gas: %s", r.Status)
				}
				r, _ = both(t, c.code, c.tape, []byte(c.input), vm.Limits{Gas: res.GasUsed - 1})
				if r.Status != vm.StatusOutOfGas || r.GasUsed != res.GasUsed-1 {
					t.Fatalf("with one gas less: %s gas %d", r.Status, r.GasUsed)
				}
			}
		})
	}
}

// TestOutputCap: the chain's cap (MaxOutput 0) allows exactly MaxOutput
// bytes; one more faults and keeps what was output.
func TestOutputCap(t *testing.T) {
	code := strings.Repeat(".", vm.MaxOutput)
	res, _ := both(t, code, vm.Tape{}, nil, vm.Limits{Gas: 1 << 21})
	if res.Status != vm.StatusOK || len(res.Output) != vm.MaxOutput || res.GasUsed != 17*vm.MaxOutput {
		t.Fatalf("%s, %d bytes, gas %d", res.Status, len(res.Output), res.GasUsed)
	}
	res, _ = both(t, code+"+.", vm.Tape{}, nil, vm.Limits{Gas: 1 << 21})
	if res.Status != vm.StatusFault || !errors.Is(res.Err, vm.ErrOutputOverflow) ||
		len(res.Output) != vm.MaxOutput || res.GasUsed != 17*vm.MaxOutput+4+17 {
		t.Fatalf("%s %v, %d bytes, gas %d", res.Status, res.Err, len(res.Output), res.GasUsed)
	}
}

func TestUnbalanced(t *testing.T) {
	for code, pos := range map[string]int{"[": 0, "]": 0, "+[[]": 1, "[]]": 2, "][": 0} {
		err := vm.Validate([]byte(code))
		var pe *vm.PosError
		if !errors.Is(err, vm.ErrUnbalanced) || !errors.As(err, &pe) || pe.Pos != pos {
			t.Errorf("%q: Validate %v, want unbalanced at %d", code, err, pos)
		}
		if _, err := vm.Compile([]byte(code)); !errors.Is(err, vm.ErrUnbalanced) {
			t.Errorf("%q: Compile %v", code, err)
		}
		if r := vm.RunPlain([]byte(code), new(vm.Tape), nil, vm.Limits{Gas: 10}, nil); !errors.Is(r.Err, vm.ErrUnbalanced) || r.GasUsed != 0 {
			t.Errorf("%q: RunPlain %v gas %d", code, r.Err, r.GasUsed)
		}
	}
	if err := vm.Validate([]byte("[[]x[]]")); err != nil {
		t.Fatal(err)
	}
}

func TestStatusAndErrors(t *testing.T) {
	for s, want := range map[vm.Status]string{vm.StatusOK: "ok", vm.StatusOutOfGas: "out_of_gas", vm.StatusFault: "fault"} {
		if s.String() != want {
			t.Errorf("%d: %q, want %q", s, s.String(), want)
		}
	}
	if !errors.Is(vm.ErrTapeLeft, vm.ErrTapeFault) || !errors.Is(vm.ErrTapeRight, vm.ErrTapeFault) {
		t.Fatal("tape errors do not wrap ErrTapeFault")
	}
}

// TestTracer: the tracer sees every executed command, in order, with the
// state before it.
func TestTracer(t *testing.T) {
	var got []string
	res := vm.RunPlain([]byte("+x[-]"), new(vm.Tape), nil, vm.Limits{Gas: 100}, func(pos int, cmd byte, ptr int, cell byte, gas uint64) {
		got = append(got, string(cmd)+":"+string(rune('0'+pos))+":"+string(rune('0'+cell)))
	})
	want := "+:0:0 [:2:1 -:3:1 ]:4:0"
	if strings.Join(got, " ") != want || res.GasUsed != 10 {
		t.Fatalf("trace %q gas %d, want %q", strings.Join(got, " "), res.GasUsed, want)
	}
}

// TestProgramConcurrent: a compiled program is shared by runs on many
// goroutines (the Cache hands out one Program per code hash).
func TestProgramConcurrent(t *testing.T) {
	p, err := vm.Compile([]byte("++++++[>++++++<-]>[>+>+<<-]>.>."))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan string)
	for range 8 {
		go func() {
			var tape vm.Tape
			r := p.Run(&tape, nil, vm.Limits{Gas: 1 << 20})
			done <- string(r.Output)
		}()
	}
	for range 8 {
		if out := <-done; out != "$$" {
			t.Fatalf("output %q", out)
		}
	}
}
