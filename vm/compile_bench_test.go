package vm_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/tinychain/tinychain/vm"
)

// compileShapes are code shapes chosen to be expensive to compile, each
// about size bytes: what a hostile contract or eval request would send.
func compileShapes(size int) []struct {
	name string
	code []byte
} {
	rep := func(s string, n int) string { return strings.Repeat(s, max(n, 1)) }
	n := size
	return []struct {
		name string
		code []byte
	}{
		// A new cell offset per '+': the pending adds of one block.
		{"adds", []byte(rep("+>", n/2))},
		// The same in a loop body that cannot fuse (its counter steps by 1
		// but it moves): fuse scans it, then it compiles as a block.
		{"loop-adds", []byte("[" + rep("+>", n/2-1) + "]")},
		// One multiply loop with a target at every offset.
		{"multiply", []byte("[-" + rep(">+", n/4) + rep("<", n/4) + "]")},
		// A fused body that fails to fuse at its very end.
		{"unfused-body", []byte("[" + rep(">+", n/4) + rep("<", n/4) + "]")},
		// Deep nesting: every bracket its own block, chains of bare brackets.
		{"nesting", []byte(rep("[", n/2) + rep("]", n/2))},
		{"nesting-adds", []byte(rep("[+>", n/6) + rep("]", n/6))},
		{"brackets", []byte("+" + rep("[]>", n/3))},
		{"clears", []byte(rep("[-]>", n/4))},
		{"scans", []byte(rep("[>]+", n/4))},
		{"jumps", []byte("+[" + rep("][", n/2-1) + "]")},
		{"output", []byte(rep(".>", n/2))},
		{"comments", []byte("+[" + rep("comment ", n/8) + "-]")},
	}
}

// BenchmarkCompile reports the compile time of each adversarial shape per
// KB of code (ns/KB, and MB/s from SetBytes), at two sizes: a linear
// compiler shows the same ns/KB at both.
func BenchmarkCompile(b *testing.B) {
	for _, size := range []int{16 << 10, 128 << 10} {
		for _, s := range compileShapes(size) {
			b.Run(s.name+"/"+sizeName(size), func(b *testing.B) {
				b.SetBytes(int64(len(s.code)))
				for range b.N {
					if _, err := vm.Compile(s.code); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/(float64(len(s.code))/1024), "ns/KB")
			})
		}
	}
}

func sizeName(n int) string { return strconv.Itoa(n>>10) + "KB" }
