package netsim

import (
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tinychain/tinychain/node"
)

func TestPercentile(t *testing.T) {
	xs := []float64{5, 1, 4, 2, 3, 6, 7, 8, 9, 10}
	for _, c := range []struct{ p, want float64 }{{50, 5}, {90, 9}, {99, 10}, {100, 10}, {1, 1}} {
		if got := percentile(xs, c.p); got != c.want {
			t.Errorf("p%v = %v, want %v", c.p, got, c.want)
		}
	}
	if percentile(nil, 50) != 0 {
		t.Error("empty sample")
	}
	if xs[0] != 5 {
		t.Error("percentile sorted its input")
	}
}

func TestReachTimes(t *testing.T) {
	t0 := time.Unix(100, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	// 10 nodes; one never got it.
	seen := []time.Time{at(0), at(30), at(10), at(50), at(20), at(40), at(70), at(60), {}, at(80)}
	ms, ok := reachTimes(t0, seen, 10, []float64{0.5, 0.9, 0.99, 1})
	if ms[0] != 40 || ms[1] != 80 || !ok[0] || !ok[1] {
		t.Fatalf("50%%: %v %v, 90%%: %v %v; want 40ms and 80ms", ms[0], ok[0], ms[1], ok[1])
	}
	if ok[2] || ok[3] {
		t.Fatal("99% and 100% of nodes were never reached")
	}
}

func TestParseMetrics(t *testing.T) {
	text := "# HELP x\nprocess_cpu_seconds_total 12.5\nprocess_resident_memory_bytes 4.5e+07\nother{a=\"b\"} 3\n"
	m := parseMetrics(strings.NewReader(text), "process_cpu_seconds_total", "process_resident_memory_bytes", "missing")
	if m["process_cpu_seconds_total"] != 12.5 || m["process_resident_memory_bytes"] != 45e6 || len(m) != 2 {
		t.Fatalf("parsed %v", m)
	}
}

// TestObserverTree feeds head events of two nodes through a fork and a
// reorg and checks arrivals, the reorg depth, depth marking and agreement.
func TestObserverTree(t *testing.T) {
	o := newObserver(2)
	nodes := []*Node{{I: 0}, {I: 1}}
	t0 := time.Unix(100, 0)
	blocks := map[string]*node.Block{}
	mk := func(name, parent string, height uint64) *node.Block {
		b := &node.Block{Hash: common.BytesToHash([]byte(name)), Height: height, Txs: []byte("[]")}
		if parent != "" {
			b.PrevHash = blocks[parent].Hash
		}
		blocks[name] = b
		return b
	}
	head := func(i int, name string, ms int) {
		o.onHead(t.Context(), nodes[i], blocks[name], t0.Add(time.Duration(ms)*time.Millisecond))
	}
	mk("a1", "", 1)
	mk("a2", "a1", 2)
	mk("b2", "a1", 2)
	mk("b3", "b2", 3)
	head(0, "a1", 0)
	head(1, "a1", 10)
	head(0, "a2", 100)
	head(1, "b2", 110) // a fork
	head(1, "b3", 200)
	head(0, "b3", 300) // node 0 reorgs off a2
	if len(o.reorgs) != 1 || o.reorgs[0] != 1 {
		t.Fatalf("reorgs %v, want one of depth 1", o.reorgs)
	}
	b2 := o.blocks[blocks["b2"].Hash]
	if got := b2.seen[0].Sub(t0); got != 300*time.Millisecond {
		t.Fatalf("b2 reached node 0 at %v, want 300ms (with b3)", got)
	}
	if a, ok := o.lastAgreement(); !ok || a.head != blocks["b3"].Hash {
		t.Fatal("no agreement on b3")
	}
	chain := o.chainOf(blocks["b3"].Hash, 0)
	if len(chain) != 3 || chain[2].hash != blocks["a1"].Hash {
		t.Fatalf("chain of b3: %d blocks", len(chain))
	}
	prev := "b3"
	for h := uint64(4); h <= 3+confirmDepth; h++ {
		name := "c" + string(rune('0'+h))
		mk(name, prev, h)
		head(0, name, int(h)*1000)
		prev = name
	}
	if !o.blocks[blocks["b3"].Hash].deep || o.blocks[blocks["c4"].Hash].deep {
		t.Fatal("depth marking: b3 is 6 deep, c4 is not")
	}
}
