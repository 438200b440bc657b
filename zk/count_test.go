package zk

import (
	"os"
	"testing"
)

// TestConstraintCounts prints each size's constraints (ZK_COUNT=1; the
// largest size takes minutes and GBs to compile).
func TestConstraintCounts(t *testing.T) {
	if os.Getenv("ZK_COUNT") == "" || testing.Short() {
		t.Skip("set ZK_COUNT=1")
	}
	for _, l := range Logs {
		s := NewSize(l)
		cs, err := Compile(s)
		if err != nil {
			t.Fatal(err)
		}
		n := cs.GetNbConstraints()
		t.Logf("size %s: %d constraints, %.1f a row, %d public inputs", s, n, float64(n)/float64(s.Steps), cs.GetNbPublicVariables())
	}
}
