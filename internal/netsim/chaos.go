package netsim

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// Fault kinds of chaos mode.
const (
	FaultPartition = "partition" // 2 or 3 random groups, healed after the fault's time
	FaultKill      = "kill"      // kill -9 of a random node, restarted on its data dir
	FaultOneWay    = "oneway"    // 50% loss on everything one node sends
	FaultSlow      = "slow"      // one node: +400 ms each way and 256 kbit/s out
)

// AllFaults is the default chaos schedule, repeated to fill the window.
var AllFaults = []string{FaultPartition, FaultKill, FaultOneWay, FaultSlow}

// ParseFaults reads a comma-separated fault list.
func ParseFaults(s string) ([]string, error) {
	var out []string
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		switch f {
		case FaultPartition, FaultKill, FaultOneWay, FaultSlow:
			out = append(out, f)
		case "":
		default:
			return nil, fmt.Errorf("unknown fault %q (partition, kill, oneway, slow)", f)
		}
	}
	return out, nil
}

// Fault is one fault as it happened.
type Fault struct {
	Kind   string  `json:"kind"`
	Nodes  []int   `json:"nodes"`            // the node hit, or each node's group for a partition
	AtS    float64 `json:"at_s"`             // since the start
	HealS  float64 `json:"healed_s"`         // since the start
	Detail string  `json:"detail,omitempty"` // e.g. a restart that failed
	// ConvergeS is how long after the heal every live node had one head
	// (-1: not before the end, or the next fault).
	ConvergeS float64 `json:"converged_after_s"`
}

// chaos runs the faults of kinds, one after another, in [start, end) of
// the run: each gets an equal slot, is in force for 70% of it and healed
// for the rest.
type chaos struct {
	r        *run
	kinds    []string
	killable []int // nodes that may be killed, made slow or lossy
	rng      *rand.Rand
	victims  []int // killable, shuffled: each fault hits the next
	faults   []Fault
}

// victim is the next node to hit: every killable node once before any twice.
func (c *chaos) victim() int {
	if len(c.victims) == 0 {
		c.victims = slices.Clone(c.killable)
		c.rng.Shuffle(len(c.victims), func(a, b int) { c.victims[a], c.victims[b] = c.victims[b], c.victims[a] })
	}
	v := c.victims[0]
	c.victims = c.victims[1:]
	return v
}

func (c *chaos) schedule(ctx context.Context, t0 time.Time, window time.Duration) {
	if len(c.kinds) == 0 || len(c.killable) == 0 {
		return
	}
	slot := window / time.Duration(len(c.kinds))
	for k, kind := range c.kinds {
		at := time.Until(t0.Add(time.Duration(k) * slot))
		if !sleep(ctx, at) {
			return
		}
		f := Fault{Kind: kind, AtS: c.r.since()}
		c.inject(ctx, &f, slot*7/10)
		f.HealS = c.r.since()
		c.faults = append(c.faults, f)
		c.r.logf("fault %s %v healed at %.0fs %s", f.Kind, f.Nodes, f.HealS, f.Detail)
	}
}

// inject puts one fault in force for hold, then heals it.
func (c *chaos) inject(ctx context.Context, f *Fault, hold time.Duration) {
	r := c.r
	var victim int
	if f.Kind != FaultPartition {
		victim = c.victim()
	}
	switch f.Kind {
	case FaultPartition:
		groups := 2 + c.rng.IntN(2)
		g := make([]int, len(r.nodes))
		for i := range g {
			g[i] = c.rng.IntN(groups)
		}
		g[0], g[len(g)-1] = 0, 1 // at least two groups
		f.Nodes = g
		r.logf("partition into %d groups %v", groups, g)
		r.router.Partition(g)
		sleep(ctx, hold)
		r.router.Partition(nil)
	case FaultKill:
		f.Nodes = []int{victim}
		r.logf("kill -9 node %d", victim)
		r.nodes[victim].kill()
		r.obs.setLive(victim, false)
		sleep(ctx, hold/2)
		if err := r.startNode(victim); err != nil {
			f.Detail = "restart failed: " + err.Error()
		}
		// Live again: no agreement counts until it reports a head.
		r.obs.setLive(victim, true)
	case FaultOneWay:
		f.Nodes = []int{victim}
		r.logf("node %d loses 50%% of what it sends", victim)
		for j := range r.nodes {
			r.router.SetOneWayLoss(victim, j, 0.5)
		}
		sleep(ctx, hold)
		for j := range r.nodes {
			r.router.SetOneWayLoss(victim, j, 0)
		}
	case FaultSlow:
		f.Nodes = []int{victim}
		r.logf("node %d slow: +400ms, 256kbit", victim)
		r.router.SetSlow(victim, 400*time.Millisecond)
		_ = setRate(victim, "256kbit")
		sleep(ctx, hold)
		r.router.SetSlow(victim, 0)
		if r.cfg.Bandwidth != "" {
			_ = setRate(victim, r.cfg.Bandwidth)
		} else {
			_ = ip("tc", "-n", nsName(victim), "qdisc", "del", "dev", "tun0", "root")
		}
	}
}

// sleep waits d or until ctx ends, and says whether ctx is still alive.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}
