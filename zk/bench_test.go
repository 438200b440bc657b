package zk

import (
	"fmt"
	"os"
	"runtime/metrics"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tinychain/tinychain/vm"
)

// benchLogs are the sizes to benchmark: the smallest, and with
// ZK_BENCH_SIZES=10,12,14,16 (not in -short) the ones named there. Each
// size's setup is minutes and gigabytes above the smallest.
func benchLogs(tb testing.TB) []int {
	env := os.Getenv("ZK_BENCH_SIZES")
	if env == "" || testing.Short() {
		return Logs[:1]
	}
	var logs []int
	for _, f := range strings.Split(env, ",") {
		l, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			tb.Fatal(err)
		}
		logs = append(logs, l)
	}
	return logs
}

// fillerRun is a run that uses all but a few of size s's rows: an outer
// loop of a inner loops of b, then a straight line of + to make up the
// rest.
func fillerRun(tb testing.TB, s Size) *Run {
	target := s.Steps - 1 // steps; the halt row is the last
	for b := 200; b > 0; b -= 10 {
		a := min((target-1)/(3*b+6), 255)
		if a == 0 {
			continue
		}
		code := strings.Repeat("+", a) + "[>" + strings.Repeat("+", b) + "[-]<-]>>"
		r := mustRun(tb, code, nil, "", vm.Limits{Gas: 1 << 30})
		rest := target - len(r.Steps)
		if rest < 0 || len(code)+rest >= s.Code {
			continue
		}
		r = mustRun(tb, code+strings.Repeat("+", rest), nil, "", vm.Limits{Gas: 1 << 30})
		if s.fits(r) == nil {
			return r
		}
	}
	tb.Fatalf("no filler for %s", s)
	return nil
}

// cpuTime is the process's user and system CPU time: on a shared machine
// it says more than the wall clock (proving uses both cores when it has them).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakHeap samples the live heap every 10 ms until stop is closed.
func peakHeap(stop chan struct{}) chan uint64 {
	out := make(chan uint64, 1)
	go func() {
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		var peak uint64
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			select {
			case <-stop:
				out <- peak
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	return out
}

// BenchmarkProve proves a run filling each size and reports constraints
// per step, the peak live heap while proving, the proof's size and the
// verify time. Setup is not timed (it is printed).
func BenchmarkProve(b *testing.B) {
	for _, l := range benchLogs(b) {
		s := NewSize(l)
		b.Run(s.String(), func(b *testing.B) {
			start := time.Now()
			k, err := Setup(s)
			if err != nil {
				b.Fatal(err)
			}
			setup := time.Since(start)
			r := fillerRun(b, s)
			var p *ProofFile
			stop := make(chan struct{})
			peak := peakHeap(stop)
			cpu0 := cpuTime()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if p, err = Prove(k, r); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			cpu := cpuTime() - cpu0
			close(stop)
			start, vcpu0 := time.Now(), cpuTime()
			const verifies = 20
			for i := 0; i < verifies; i++ {
				if err := Verify(k.VK, p); err != nil {
					b.Fatal(err)
				}
			}
			verify, vcpu := time.Since(start)/verifies, (cpuTime()-vcpu0)/verifies
			n := k.CS.GetNbConstraints()
			b.ReportMetric(float64(n), "constraints")
			b.ReportMetric(float64(n)/float64(s.Steps), "constraints/row")
			b.ReportMetric(float64(len(r.Steps)), "steps")
			b.ReportMetric(float64(<-peak)/(1<<20), "peak-heap-MiB")
			b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
			b.ReportMetric(float64(len(p.Proof)), "proof-bytes")
			b.ReportMetric(float64(verify.Microseconds())/1000, "verify-ms")
			b.ReportMetric(float64(vcpu.Microseconds())/1000, "verify-cpu-ms")
			fmt.Fprintf(os.Stderr, "size %s: setup %v, %d constraints\n", s, setup.Round(time.Millisecond), n)
		})
	}
}
