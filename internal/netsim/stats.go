package netsim

import (
	"math"
	"slices"
	"time"
)

// percentile is the nearest-rank p-th percentile (0 < p ≤ 100) of xs, or
// 0 for none. xs is not changed.
func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	k := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(0, min(k, len(s)-1))]
}

// reachTimes returns, for each fraction in fracs, how long after first a
// block took to be at ceil(fraction × n) of n nodes, given the times it
// reached each node (zero: never). ok[k] is false where it never reached
// that many.
func reachTimes(first time.Time, seen []time.Time, n int, fracs []float64) (ms []float64, ok []bool) {
	var ts []time.Time
	for _, t := range seen {
		if !t.IsZero() {
			ts = append(ts, t)
		}
	}
	slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
	ms, ok = make([]float64, len(fracs)), make([]bool, len(fracs))
	for k, f := range fracs {
		need := int(math.Ceil(f * float64(n)))
		if need < 1 {
			need = 1
		}
		if need <= len(ts) {
			ms[k] = float64(ts[need-1].Sub(first)) / float64(time.Millisecond)
			ok[k] = true
		}
	}
	return ms, ok
}

// Dist is the summary of a sample: its size, median, 99th percentile and
// maximum.
type Dist struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

func dist(xs []float64) Dist {
	if len(xs) == 0 {
		return Dist{}
	}
	return Dist{N: len(xs), P50: round1(percentile(xs, 50)), P90: round1(percentile(xs, 90)),
		P99: round1(percentile(xs, 99)), Max: round1(percentile(xs, 100))}
}

func round1(x float64) float64 { return math.Round(x*10) / 10 }
