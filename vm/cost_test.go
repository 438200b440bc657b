package vm_test

import (
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tinychain/tinychain/vm"
)

// threadCPU is the CPU time the calling OS thread has used. Unlike the wall
// clock it does not grow while other processes of a busy machine run;
// callers lock their goroutine to its thread first.
func threadCPU(t *testing.T) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	const rusageThread = 1 // RUSAGE_THREAD (Linux)
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// compileTime is the best of 5 timings, in this thread's CPU time, of
// compiling code times times in a row.
func compileTime(t *testing.T, code []byte, times int) time.Duration {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	best := time.Duration(1 << 62)
	for range 5 {
		start := threadCPU(t)
		for range times {
			if _, err := vm.Compile(code); err != nil {
				t.Fatal(err)
			}
		}
		best = min(best, threadCPU(t)-start)
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
	}
}

// TestFallbackDoesNotRunComments: when a block's entry check fails (here
// its reach is conservative near the tape's end), the plain interpreter
// runs it; it used to step over the block's comments for free every
// iteration, 100 KB of them per 4 gas. It now runs the code's commands
// only, so the run takes about as long with the comments as without them
// (before: 10 GB of comments stepped over, thousands of times as long).
func TestFallbackDoesNotRunComments(t *testing.T) {
	fused := "[-" + strings.Repeat(">", 15000) + strings.Repeat("<", 15000) + "]"
	// To cell 20000, set it, then loop: > (onto a zero cell), a fused loop
	// that never runs but reaches 15,000 cells on, <, ]. 4 gas a round.
	run := func(comments string) time.Duration {
		code := strings.Repeat(">", 20000) + "+[>" + comments + fused + "<]"
		p, err := vm.Compile([]byte(code))
		if err != nil {
			t.Fatal(err)
		}
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		var tape vm.Tape
		start := threadCPU(t)
		res := p.Run(&tape, nil, vm.Limits{Gas: 20000 + 4 + 400_000})
		if res.Status != vm.StatusOutOfGas {
			t.Fatalf("%s %v", res.Status, res.Err)
		}
		return threadCPU(t) - start
	}
	plain, commented := run(""), run(strings.Repeat("x", 100_000))
	t.Logf("100,000 rounds: %v without comments, %v with 100 KB of them", plain, commented)
	if commented > 20*max(plain, time.Millisecond) {
		t.Fatalf("the comments made the run %.0fx as long", float64(commented)/float64(plain))
	}
}
