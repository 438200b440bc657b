package netsim

import (
	"io"
	"testing"
	"time"
)

// chanPort is an in-memory port: Read takes what the test sends, Write
// hands what the router delivers to the test.
type chanPort struct {
	in  chan []byte
	out chan []byte
}

func newChanPort() *chanPort { return &chanPort{in: make(chan []byte, 64), out: make(chan []byte, 64)} }

func (p *chanPort) Read(b []byte) (int, error) {
	pkt, ok := <-p.in
	if !ok {
		return 0, io.EOF
	}
	return copy(b, pkt), nil
}

func (p *chanPort) Write(b []byte) (int, error) {
	p.out <- append([]byte(nil), b...)
	return len(b), nil
}

// ipv4 is a minimal IPv4 header to dst with a payload byte.
func ipv4(dst [4]byte, payload byte) []byte {
	h := make([]byte, 21)
	h[0] = 0x45
	copy(h[16:20], dst[:])
	h[20] = payload
	return h
}

func testRouter(n int, base Link) (*Router, []*chanPort) {
	ports := make([]io.ReadWriter, n)
	cps := make([]*chanPort, n)
	addrs := make([][4]byte, n)
	for i := range ports {
		cps[i] = newChanPort()
		ports[i], addrs[i] = cps[i], nodeAddr(i)
	}
	return NewRouter(ports, addrs, base, 1), cps
}

func TestPlanDelayJitterOrder(t *testing.T) {
	r, _ := testRouter(2, Link{Delay: 100 * time.Millisecond, Jitter: 30 * time.Millisecond})
	defer r.Close()
	now := time.Unix(1000, 0)
	var last time.Time
	for k := 0; k < 2000; k++ {
		at := now.Add(time.Duration(k) * time.Millisecond)
		due, _, drop := r.plan(0, 1, at)
		if drop {
			t.Fatal("dropped without loss")
		}
		d := due.Sub(at)
		if d < 70*time.Millisecond || (d > 130*time.Millisecond && due != last) {
			t.Fatalf("packet %d delayed %v, want 100ms ± 30ms (or held behind the one before)", k, d)
		}
		if due.Before(last) {
			t.Fatalf("packet %d due before the one before it: reordered", k)
		}
		last = due
	}
}

func TestPlanLossPartitionOneWaySlow(t *testing.T) {
	r, _ := testRouter(3, Link{Delay: 10 * time.Millisecond, Loss: 0.1})
	defer r.Close()
	now := time.Unix(1000, 0)
	dropped := 0
	for k := 0; k < 10000; k++ {
		if _, _, drop := r.plan(0, 1, now); drop {
			dropped++
		}
	}
	if dropped < 800 || dropped > 1200 {
		t.Fatalf("%d of 10000 dropped at 10%% loss", dropped)
	}
	r.Partition([]int{0, 0, 1})
	for k := 0; k < 100; k++ {
		if _, _, drop := r.plan(0, 2, now); !drop {
			t.Fatal("a packet crossed the partition")
		}
		if _, _, drop := r.plan(2, 1, now); !drop {
			t.Fatal("a packet crossed the partition")
		}
	}
	r.Partition(nil)
	r.base.Loss = 0
	r.SetOneWayLoss(0, 1, 1)
	for k := 0; k < 100; k++ {
		if _, _, drop := r.plan(0, 1, now); !drop {
			t.Fatal("one-way loss of 100% let a packet through")
		}
		if _, _, drop := r.plan(1, 0, now); drop {
			t.Fatal("one-way loss dropped the other way")
		}
	}
	r.SetOneWayLoss(0, 1, 0)
	r.SetSlow(2, time.Second)
	now = now.Add(time.Hour) // past every queued packet
	if due, _, _ := r.plan(2, 0, now); due.Sub(now) != 1010*time.Millisecond {
		t.Fatalf("slow node's packet due after %v, want 1.01s", due.Sub(now))
	}
	if due, _, _ := r.plan(1, 0, now); due.Sub(now) != 10*time.Millisecond {
		t.Fatalf("other packet due after %v, want 10ms", due.Sub(now))
	}
}

func TestRouterDelivers(t *testing.T) {
	r, ports := testRouter(3, Link{Delay: 20 * time.Millisecond})
	go r.Run()
	defer func() {
		for _, p := range ports {
			close(p.in)
		}
		r.Close()
	}()
	start := time.Now()
	ports[0].in <- ipv4(nodeAddr(2), 7)
	ports[0].in <- []byte{0x60, 0, 0, 0}         // IPv6: dropped
	ports[0].in <- ipv4([4]byte{10, 0, 0, 1}, 8) // no such node: dropped
	ports[0].in <- ipv4(nodeAddr(2), 9)
	for _, want := range []byte{7, 9} {
		got := <-ports[2].out
		if got[20] != want {
			t.Fatalf("got payload %d, want %d (order kept)", got[20], want)
		}
		if el := time.Since(start); el < 20*time.Millisecond {
			t.Fatalf("delivered after %v, before the link's 20ms", el)
		}
	}
	select {
	case p := <-ports[1].out:
		t.Fatalf("node 1 got a packet for node 2: %x", p)
	case <-time.After(50 * time.Millisecond):
	}
	if r.SentPackets[0].Load() != 4 || r.Dropped[0].Load() != 2 {
		t.Fatalf("counted %d sent, %d dropped; want 4, 2", r.SentPackets[0].Load(), r.Dropped[0].Load())
	}
}
