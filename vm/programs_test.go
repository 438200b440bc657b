package vm_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/tinychain/tinychain/vm"
)

// The standard Brainfuck benchmark programs (mandelbrot.b, long.b, …,
// each with its .b.in and .b.out), read from the directory that
// TINYCHAIN_BF_DIR names (by default a "shared/bf" beside the
// repository), with their exact gas and the number of source commands
// they execute (counted once with a Tracer on RunPlain; they give the
// benchmarks' commands/s). The gas is declared here again on purpose: a
// change to the gas rules shows up as a failure.
var programs = []struct {
	name string
	gas  uint64
	cmds uint64
}{
	{"hanoi", 19_175_724_444, 6_596_275_895},
	{"factor", 7_272_126_246, 5_313_152_436},
	{"long", 19_582_730_803, 7_909_544_265},
	{"mandelbrot", 11_591_237_673, 10_521_107_970},
	{"dbfi", 10_236_353_899, 9_566_397_028},
}

// loadProgram reads a standard program, its input and its expected output,
// and skips the test when the directory is not there.
func loadProgram(tb testing.TB, name string) (code, input, want []byte) {
	tb.Helper()
	dir := os.Getenv("TINYCHAIN_BF_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "bf")
	}
	code, err := os.ReadFile(filepath.Join(dir, name+".b"))
	if err != nil {
		tb.Skipf("standard program %s not found in %s (%v): skipping", name, dir, err)
	}
	if input, err = os.ReadFile(filepath.Join(dir, name+".b.in")); err != nil {
		tb.Skipf("input of %s not found: %v", name, err)
	}
	if want, err = os.ReadFile(filepath.Join(dir, name+".b.out")); err != nil {
		tb.Skipf("output of %s not found: %v", name, err)
	}
	return code, input, want
}

// TestStandardProgramsExactGas runs the fast interpreter on each standard
// program: its output and its gas must be exact, and one gas less must run
// out, using the whole limit. (The plain interpreter takes 10-30 s a
// program; it runs them in BenchmarkPrograms/plain.)
func TestStandardProgramsExactGas(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 68 billion gas twice")
	}
	for _, p := range programs {
		t.Run(p.name, func(t *testing.T) {
			code, input, want := loadProgram(t, p.name)
			prog, err := vm.Compile(code)
			if err != nil {
				t.Fatal(err)
			}
			var tape vm.Tape
			res := prog.Run(&tape, input, vm.Limits{Gas: p.gas})
			if res.Status != vm.StatusOK || res.GasUsed != p.gas || !bytes.Equal(res.Output, want) {
				t.Fatalf("%s gas %d (want %d) err %v, output right: %v", res.Status, res.GasUsed, p.gas, res.Err, bytes.Equal(res.Output, want))
			}
			var tape2 vm.Tape
			res = prog.Run(&tape2, input, vm.Limits{Gas: p.gas - 1})
			if res.Status != vm.StatusOutOfGas || res.GasUsed != p.gas-1 {
				t.Fatalf("with one gas less: %s gas %d", res.Status, res.GasUsed)
			}
		})
	}
}

// BenchmarkPrograms runs both interpreters on the standard programs, checks
// their output and gas, and reports gas/s, commands/s (executed source
// commands) and the CPU seconds a run takes (steadier than its wall time
// on a shared machine). Run one at a time, e.g.
//
//	go test ./vm -run X -bench 'Programs/fast/mandelbrot' -benchtime 1x
func BenchmarkPrograms(b *testing.B) {
	for _, interp := range []string{"fast", "plain"} {
		for _, p := range programs {
			b.Run(interp+"/"+p.name, func(b *testing.B) {
				code, input, want := loadProgram(b, p.name)
				prog, err := vm.Compile(code)
				if err != nil {
					b.Fatal(err)
				}
				lim := vm.Limits{Gas: p.gas}
				b.ResetTimer()
				cpu := cpuSeconds()
				for range b.N {
					var tape vm.Tape
					var res vm.Result
					if interp == "fast" {
						res = prog.Run(&tape, input, lim)
					} else {
						res = vm.RunPlain(code, &tape, input, lim, nil)
					}
					if res.Status != vm.StatusOK || res.GasUsed != p.gas || !bytes.Equal(res.Output, want) {
						b.Fatalf("wrong run: %s gas %d err %v", res.Status, res.GasUsed, res.Err)
					}
				}
				b.ReportMetric((cpuSeconds()-cpu)/float64(b.N), "cpu-s/op")
				sec := b.Elapsed().Seconds() / float64(b.N)
				b.ReportMetric(float64(p.gas)/sec, "gas/s")
				b.ReportMetric(float64(p.cmds)/sec, "commands/s")
			})
		}
	}
}
