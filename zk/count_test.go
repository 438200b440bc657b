package zk

import (
	"os"
	"testing"
)

// TestSizesFit compiles the smallest size (every size with ZK_COUNT=1;
// the largest takes minutes and GBs) and checks that its constraints fit
// the FFT domain of 2^(LogSteps+6) with at most 4% of it left: a size
// that spills over pays for a domain twice as large, one that leaves
// more could hold more rows.
func TestSizesFit(t *testing.T) {
	logs := Logs[:1]
	if os.Getenv("ZK_COUNT") != "" && !testing.Short() {
		logs = Logs
	}
	for _, l := range logs {
		s := NewSize(l)
		cs, err := Compile(s)
		if err != nil {
			t.Fatal(err)
		}
		n, domain := cs.GetNbConstraints(), 1<<domainLog(l)
		t.Logf("size %s: %d rows, %d constraints, %.1f a row, %.1f%% of 2^%d, %d public inputs",
			s, s.Steps, n, float64(n)/float64(s.Steps), 100*float64(n)/float64(domain), domainLog(l), cs.GetNbPublicVariables())
		if n > domain || n < domain*96/100 {
			t.Errorf("size %s: %d constraints do not fill the domain of %d", s, n, domain)
		}
	}
}
