package netsim

import (
	"io"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// Link is what a packet from one node to another goes through: a one-way
// delay (so a round trip takes twice Delay), a jitter added to each packet
// uniformly in [-Jitter, +Jitter], and a loss probability.
type Link struct {
	Delay  time.Duration
	Jitter time.Duration
	Loss   float64 // 0..1
}

// maxQueue bounds the packets waiting on one link; more are dropped, as a
// full queue drops them.
const maxQueue = 4096

// Router carries IPv4 packets between ports (a node's TUN device each),
// delaying or dropping them per link. The link of every pair is the base
// link, changed by the faults in force: a partition (packets between
// groups are dropped), one-way loss on a directed pair, and slow nodes
// (extra delay on every packet to or from them). Packets on one link keep
// their order (jitter never reorders them: a packet waits for the one
// before it), as netem does with a rate.
type Router struct {
	ports []io.ReadWriter
	index map[[4]byte]int // destination address -> port

	mu     sync.Mutex
	base   Link
	group  []int // partition group per port; all equal: no partition
	oneWay map[[2]int]float64
	slow   map[int]time.Duration
	links  map[[2]int]*queue
	rng    *rand.Rand

	// Counters per source port.
	SentBytes   []atomic.Int64 // bytes read from the port (the node sent)
	SentPackets []atomic.Int64
	Dropped     []atomic.Int64 // of those, dropped (loss, partition, full queue, no route)
}

type packet struct {
	data []byte
	due  time.Time
}

type queue struct {
	ch      chan packet
	lastDue time.Time
}

// NewRouter returns a router between ports, where addrs[i] is port i's
// IPv4 address, with every link set to base.
func NewRouter(ports []io.ReadWriter, addrs [][4]byte, base Link, seed uint64) *Router {
	r := &Router{
		ports: ports, index: map[[4]byte]int{}, base: base,
		group: make([]int, len(ports)), oneWay: map[[2]int]float64{},
		slow: map[int]time.Duration{}, links: map[[2]int]*queue{},
		rng:         rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		SentBytes:   make([]atomic.Int64, len(ports)),
		SentPackets: make([]atomic.Int64, len(ports)),
		Dropped:     make([]atomic.Int64, len(ports)),
	}
	for i, a := range addrs {
		r.index[a] = i
	}
	return r
}

// Partition splits the ports into groups (group[i] is port i's); nil heals.
func (r *Router) Partition(group []int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range r.group {
		r.group[i] = 0
		if group != nil {
			r.group[i] = group[i]
		}
	}
}

// SetOneWayLoss sets an extra loss on packets from src to dst (0 removes it).
func (r *Router) SetOneWayLoss(src, dst int, loss float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if loss == 0 {
		delete(r.oneWay, [2]int{src, dst})
		return
	}
	r.oneWay[[2]int{src, dst}] = loss
}

// SetSlow adds delay to every packet to or from port i (0 removes it).
func (r *Router) SetSlow(i int, extra time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if extra == 0 {
		delete(r.slow, i)
		return
	}
	r.slow[i] = extra
}

// plan decides the fate of a packet from src to dst arriving at now: the
// time it is due at dst, or drop. MUST be called with r.mu held.
func (r *Router) plan(src, dst int, now time.Time) (due time.Time, q *queue, drop bool) {
	if r.group[src] != r.group[dst] {
		return time.Time{}, nil, true
	}
	loss := r.base.Loss
	if l, ok := r.oneWay[[2]int{src, dst}]; ok {
		loss = 1 - (1-loss)*(1-l)
	}
	if loss > 0 && r.rng.Float64() < loss {
		return time.Time{}, nil, true
	}
	d := r.base.Delay + r.slow[src] + r.slow[dst]
	if j := r.base.Jitter; j > 0 {
		d += time.Duration(r.rng.Int64N(int64(2*j)+1)) - j
	}
	if d < 0 {
		d = 0
	}
	key := [2]int{src, dst}
	q = r.links[key]
	if q == nil {
		q = &queue{ch: make(chan packet, maxQueue)}
		r.links[key] = q
		go r.deliver(q, dst)
	}
	due = now.Add(d)
	if due.Before(q.lastDue) {
		due = q.lastDue // keep the link's order
	}
	q.lastDue = due
	return due, q, false
}

// route handles one packet read from port src.
func (r *Router) route(src int, pkt []byte) {
	r.SentBytes[src].Add(int64(len(pkt)))
	r.SentPackets[src].Add(1)
	dst, ok := r.destination(pkt)
	if !ok || dst == src {
		r.Dropped[src].Add(1)
		return
	}
	r.mu.Lock()
	due, q, drop := r.plan(src, dst, time.Now())
	if !drop {
		select {
		case q.ch <- packet{pkt, due}:
		default:
			drop = true
		}
	}
	r.mu.Unlock()
	if drop {
		r.Dropped[src].Add(1)
	}
}

// destination is the port of an IPv4 packet's destination address.
func (r *Router) destination(pkt []byte) (int, bool) {
	if len(pkt) < 20 || pkt[0]>>4 != 4 {
		return 0, false // not IPv4 (the kernel's IPv6 chatter)
	}
	i, ok := r.index[[4]byte(pkt[16:20])]
	return i, ok
}

// deliver writes a link's packets to dst as they fall due.
func (r *Router) deliver(q *queue, dst int) {
	t := time.NewTimer(time.Hour)
	for p := range q.ch {
		if d := time.Until(p.due); d > 0 {
			t.Reset(d)
			<-t.C
		}
		_, _ = r.ports[dst].Write(p.data) // a port that is gone drops it
	}
}

// Run reads every port until it fails (its device closed) and routes what
// it reads. It returns when all ports have failed.
func (r *Router) Run() {
	var wg sync.WaitGroup
	for i, p := range r.ports {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 65536)
			for {
				n, err := p.Read(buf)
				if err != nil {
					return
				}
				r.route(i, append([]byte(nil), buf[:n]...))
			}
		}()
	}
	wg.Wait()
}

// Close stops the delivery goroutines (call once the ports are closed).
func (r *Router) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, q := range r.links {
		close(q.ch)
		delete(r.links, k)
	}
}
