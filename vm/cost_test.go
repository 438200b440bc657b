package vm_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tinychain/tinychain/vm"
)

// compileTime is the best of three compiles of code.
// compileTime is the best of 5 timings of compiling code times times in a
// row: the best drops the other work of a shared machine, the repeats
// average what is left.
func compileTime(t *testing.T, code []byte, times int) time.Duration {
	t.Helper()
	best := time.Duration(1 << 62)
	for range 5 {
		start := time.Now()
		for range times {
			if _, err := vm.Compile(code); err != nil {
				t.Fatal(err)
			}
		}
		best = min(best, time.Since(start))
	}
	return best
}

// TestCompileIsLinear (attack 1): compiling searched a slice per + and -,
// so code adding at a new offset each time took quadratic time (a 130 KB
// contract 2.8 s). One compile of eight times the code must take about
// as long as eight compiles of the small code (quadratic: eight times as
// long), on each shape of BenchmarkCompile.
func TestCompileIsLinear(t *testing.T) {
	if testing.Short() {
		t.Skip("times compiles")
	}
	small, large := compileShapes(16<<10), compileShapes(128<<10)
	for i := range small {
		// The same bytes either way: 8 compiles of 16 KB against one of
		// 128 KB. Linear code takes about as long for both; quadratic
		// code takes 8 times as long for the one large compile.
		a, b := compileTime(t, small[i].code, 8), compileTime(t, large[i].code, 1)
		ratio := float64(b) / float64(max(a, time.Microsecond))
		t.Logf("%-13s 8 x 16 KB %v, 1 x 128 KB %v (x%.1f)", small[i].name, a, b, ratio)
		if ratio > 6 && b > 20*time.Millisecond {
			t.Errorf("%s: one 128 KB compile took %.1fx as long as eight of 16 KB (%v): not linear", small[i].name, ratio, b)
		}
		if b > time.Second {
			t.Errorf("%s: 128 KB compiled in %v", small[i].name, b)
		}
	}
}

// TestFallbackDoesNotRunComments: when a block's entry check fails (here
// its reach is conservative near the tape's end), the plain interpreter
// runs it; it used to step over the block's comments for free every
// iteration, 100 KB of them per 4 gas. It now runs the code's commands
// only, so the run's time follows its gas.
func TestFallbackDoesNotRunComments(t *testing.T) {
	comments := strings.Repeat("x", 100_000)
	fused := "[-" + strings.Repeat(">", 15000) + strings.Repeat("<", 15000) + "]"
	// To cell 20000, set it, then loop: > (onto a zero cell), a fused loop
	// that never runs but reaches 15,000 cells on, <, ]. 4 gas a round.
	code := strings.Repeat(">", 20000) + "+[>" + comments + fused + "<]"
	p, err := vm.Compile([]byte(code))
	if err != nil {
		t.Fatal(err)
	}
	var tape vm.Tape
	start := time.Now()
	res := p.Run(&tape, nil, vm.Limits{Gas: 20000 + 4 + 400_000})
	if el := time.Since(start); el > 2*time.Second { // 100,000 rounds: 10 GB of comments before
		t.Fatalf("400,000 gas of rounds took %v", el)
	}
	if res.Status != vm.StatusOutOfGas {
		t.Fatalf("%s %v", res.Status, res.Err)
	}
}
