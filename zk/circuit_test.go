package zk

import (
	"os"
	"testing"
	"time"

	"github.com/consensys/gnark/test"
	"github.com/tinychain/tinychain/vm"
)

var small = NewSize(10)

// mustRun traces code and fits it at the smallest size.
func mustRun(t testing.TB, code string, tape *vm.Tape, input string, lim vm.Limits) *Run {
	t.Helper()
	r, err := Trace([]byte(code), tape, []byte(input), lim)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// solved reports whether the witness satisfies the circuit at size s.
func solved(t testing.TB, s Size, w *Circuit) error {
	t.Helper()
	return test.IsSolved(NewCircuit(s), w, field())
}

func mustAssign(t testing.TB, r *Run, s Size) *Circuit {
	t.Helper()
	w, err := r.Assign(s)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestSolvedHello(t *testing.T) {
	code, err := os.ReadFile("../examples/hello.bf")
	if err != nil {
		t.Fatal(err)
	}
	r := mustRun(t, string(code), nil, "", vm.Limits{Gas: 100000})
	if err := solved(t, small, mustAssign(t, r, small)); err != nil {
		t.Fatal(err)
	}
}

func TestProveHello(t *testing.T) {
	code, _ := os.ReadFile("../examples/hello.bf")
	start := time.Now()
	k, err := Setup(small)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("setup %v constraints %d", time.Since(start), k.CS.GetNbConstraints())
	r := mustRun(t, string(code), nil, "", vm.Limits{Gas: 100000})
	start = time.Now()
	p, err := Prove(k, r)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("prove %v, %d bytes", time.Since(start), len(p.Proof))
	start = time.Now()
	if err := Verify(k.VK, p); err != nil {
		t.Fatal(err)
	}
	t.Logf("verify %v", time.Since(start))
	p.Statement.GasUsed++
	if err := Verify(k.VK, p); err == nil {
		t.Fatal("changed statement verified")
	}
}
