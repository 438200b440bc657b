package netsim

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tinychain/tinychain/node"
)

// Report is the JSON document of a run.
type Report struct {
	Nodes           int     `json:"nodes"`
	Miners          int     `json:"miners"`
	LatencyMs       float64 `json:"latency_ms"` // one way
	JitterMs        float64 `json:"jitter_ms"`
	Loss            float64 `json:"loss"`
	Bandwidth       string  `json:"bandwidth,omitempty"`
	BlockIntervalMs int64   `json:"block_interval_ms"`
	DurationS       float64 `json:"duration_s"`
	Chaos           bool    `json:"chaos"`
	Faults          []Fault `json:"faults,omitempty"`
	Machine         string  `json:"machine"`
	Load            string  `json:"load"` // /proc/loadavg at the end

	Blocks      int     `json:"blocks"`       // main-chain blocks measured
	StaleBlocks int     `json:"stale_blocks"` // seen as a head, not on the final chain
	StaleRate   float64 `json:"stale_rate"`
	MeanBlockMs float64 `json:"mean_block_interval_ms"`
	// Propagation is, over the final chain's blocks that had no sibling
	// (no fork raced them), the time from a block's first sight until it
	// was on the main chain of 50/90/99/100% of nodes. A block that won a
	// race reaches the nodes that first took its sibling only with its
	// child: those are ContestedPropagation, to 99% of nodes.
	Propagation          map[string]Dist `json:"propagation_ms"`
	PropagationP50Ms     float64         `json:"propagation_p50_ms"` // median over blocks, to 99% of nodes
	PropagationP99Ms     float64         `json:"propagation_p99_ms"` // p99 over blocks, to 99% of nodes
	ContestedPropagation Dist            `json:"contested_propagation_ms"`
	Reorgs               int             `json:"reorgs"`
	ReorgDepths          map[int]int     `json:"reorg_depths"`
	ReorgDepthMax        int             `json:"reorg_depth_max"`
	TxSubmitted          int             `json:"tx_submitted"`
	TxRefused            int             `json:"tx_refused"` // answered 4xx/5xx at submission (not tracked)
	TxMined              int             `json:"tx_mined"`
	TxDropped            map[string]int  `json:"tx_dropped"` // by reason
	TxPending            int             `json:"tx_pending"`
	LostTxs              int             `json:"lost_txs"`
	LostTxHashes         []common.Hash   `json:"lost_tx_hashes,omitempty"` // the first 20
	TxInclusionMs        Dist            `json:"tx_inclusion_ms"`
	Converged            bool            `json:"converged"`
	ConvergeMs           float64         `json:"converge_ms"` // after the last fault healed (or the start)
	CPUSecondsMean       float64         `json:"cpu_s_mean"`
	RSSMaxMB             float64         `json:"rss_max_mb"`
	BytesPerNodeBlock    float64         `json:"bytes_per_node_per_block"`
	PacketsDropped       int64           `json:"packets_dropped"`
	PacketsSent          int64           `json:"packets_sent"`
	PerNode              []NodeReport    `json:"per_node"`
	Invariants           []Invariant     `json:"invariants"`
	OK                   bool            `json:"ok"`
}

// NodeReport is one node's share.
type NodeReport struct {
	Node      int     `json:"node"`
	Miner     bool    `json:"miner"`
	CPUS      float64 `json:"cpu_s"`
	RSSMaxMB  float64 `json:"rss_max_mb"`
	SentBytes int64   `json:"sent_bytes"`
	Starts    int     `json:"starts"`
	Crashed   string  `json:"crashed,omitempty"`
}

// Invariant is one checked property.
type Invariant struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
}

var fractions = []float64{0.5, 0.9, 0.99, 1}
var fractionNames = []string{"50%", "90%", "99%", "100%"}

func (r *run) report(ctx context.Context, startHeight uint64, lastFault time.Time, load *txLoad, faults []Fault) *Report {
	cfg := r.cfg
	rep := &Report{Nodes: cfg.Nodes, Miners: cfg.Miners, LatencyMs: ms(cfg.Latency), JitterMs: ms(cfg.Jitter),
		Loss: cfg.Loss, Bandwidth: cfg.Bandwidth, BlockIntervalMs: cfg.BlockInterval.Milliseconds(),
		DurationS: cfg.Duration.Seconds(), Chaos: cfg.Chaos, Faults: faults, Machine: machine(), Load: loadavg(),
		Propagation: map[string]Dist{}, ReorgDepths: map[int]int{}, TxDropped: map[string]int{}}
	end := r.t0.Add(cfg.Duration)
	for k := range faults {
		f := &faults[k]
		healed := r.t0.Add(time.Duration(f.HealS * float64(time.Second)))
		f.ConvergeS = -1
		if a, ok := r.obs.firstAgreementAfter(healed); ok && !a.at.After(end) &&
			(k+1 == len(faults) || a.at.Before(r.t0.Add(time.Duration(faults[k+1].AtS*float64(time.Second))))) {
			f.ConvergeS = round1(a.at.Sub(healed).Seconds())
		}
	}
	a, ok := r.obs.firstAgreementAfter(lastFault)
	rep.Converged = ok && !a.at.After(end)
	if ok {
		rep.ConvergeMs = round1(ms(a.at.Sub(lastFault)))
	}
	final := r.finalHead()
	chainBlocks := r.obs.chainOf(final, startHeight)
	r.blockStats(rep, chainBlocks, startHeight)
	onChain := map[common.Hash]bool{}
	for _, b := range chainBlocks {
		for _, h := range b.txs {
			onChain[h] = true
		}
	}
	var finalHeight uint64
	if len(chainBlocks) > 0 {
		finalHeight = chainBlocks[0].height
	}
	r.txStats(ctx, rep, load, onChain, startHeight, finalHeight)
	r.nodeStats(rep)
	r.check(rep)
	return rep
}

// finalHead is the head most live nodes hold at the end (of two as
// common, the higher).
func (r *run) finalHead() common.Hash {
	o := r.obs
	o.mu.Lock()
	defer o.mu.Unlock()
	count := map[common.Hash]int{}
	var best common.Hash
	for i, h := range o.head {
		if !o.live[i] || h == (common.Hash{}) {
			continue
		}
		count[h]++
		b, c := o.blocks[h], o.blocks[best]
		if best == (common.Hash{}) || count[h] > count[best] ||
			(count[h] == count[best] && b != nil && c != nil && b.height > c.height) {
			best = h
		}
	}
	return best
}

// blockStats fills in propagation, stale blocks, reorgs and the block
// interval from the observed tree and the final chain.
func (r *run) blockStats(rep *Report, chainBlocks []*blockInfo, startHeight uint64) {
	o := r.obs
	o.mu.Lock()
	defer o.mu.Unlock()
	main := map[common.Hash]bool{}
	perHeight := map[uint64]int{}
	for _, b := range o.blocks {
		perHeight[b.height]++
	}
	per := make([][]float64, len(fractions))
	var contested []float64
	var firstT, lastT time.Time
	for _, b := range chainBlocks {
		main[b.hash] = true
		if b.first.IsZero() {
			continue
		}
		if firstT.IsZero() || b.first.Before(firstT) {
			firstT = b.first
		}
		if b.first.After(lastT) {
			lastT = b.first
		}
		t, reached := reachTimes(b.first, b.seen, r.cfg.Nodes, fractions)
		if perHeight[b.height] > 1 {
			if reached[2] {
				contested = append(contested, t[2])
			}
			continue
		}
		for k := range fractions {
			if reached[k] {
				per[k] = append(per[k], t[k])
			}
		}
	}
	rep.Blocks = len(chainBlocks)
	if rep.Blocks > 1 {
		rep.MeanBlockMs = round1(ms(lastT.Sub(firstT)) / float64(rep.Blocks-1))
	}
	for k, name := range fractionNames {
		rep.Propagation[name] = dist(per[k])
	}
	rep.ContestedPropagation = dist(contested)
	rep.PropagationP50Ms = rep.Propagation["99%"].P50
	rep.PropagationP99Ms = rep.Propagation["99%"].P99
	var top uint64
	if len(chainBlocks) > 0 {
		top = chainBlocks[0].height
	}
	for _, b := range o.blocks {
		if b.height > startHeight && b.height <= top && !main[b.hash] {
			rep.StaleBlocks++
		}
	}
	if n := rep.StaleBlocks + rep.Blocks; n > 0 {
		rep.StaleRate = float64(rep.StaleBlocks) / float64(n)
	}
	for _, d := range o.reorgs {
		rep.Reorgs++
		rep.ReorgDepths[d]++
		rep.ReorgDepthMax = max(rep.ReorgDepthMax, d)
	}
}

// txStats accounts for every tx of the load: mined on the final chain,
// else what its node says of it (pending, dropped with a reason); a tx its
// node does not know, or that was confirmDepth deep and left, is lost.
func (r *run) txStats(ctx context.Context, rep *Report, load *txLoad, onChain map[common.Hash]bool, startHeight, finalHeight uint64) {
	sent, refused := load.txs()
	rep.TxSubmitted, rep.TxRefused = len(sent), refused
	deepGone := map[common.Hash]bool{}
	r.obs.mu.Lock()
	for _, b := range r.obs.blocks {
		if b.deep && b.height > startHeight && b.height <= finalHeight {
			for _, h := range b.txs {
				if !onChain[h] {
					deepGone[h] = true
				}
			}
		}
	}
	r.obs.mu.Unlock()
	var incl []float64
	for _, tx := range sent {
		if onChain[tx.hash] {
			rep.TxMined++
			if t, ok := r.obs.includedAt(tx.hash); ok {
				incl = append(incl, ms(t.Sub(tx.at)))
			}
			continue
		}
		if deepGone[tx.hash] {
			rep.lost(tx.hash)
			continue
		}
		st, err := r.nodes[tx.node].Client.Tx(ctx, tx.hash)
		switch {
		case err != nil && node.IsNotFound(err):
			rep.lost(tx.hash)
		case err != nil:
			rep.TxPending++ // its node does not answer: unknown, not lost
		case st.State == "dropped":
			rep.TxDropped[st.Reason]++
		default:
			rep.TxPending++
		}
	}
	rep.TxInclusionMs = dist(incl)
}

func (rep *Report) lost(h common.Hash) {
	rep.LostTxs++
	if len(rep.LostTxHashes) < 20 {
		rep.LostTxHashes = append(rep.LostTxHashes, h)
	}
}

func (r *run) nodeStats(rep *Report) {
	var cpu, bytes float64
	for i, n := range r.nodes {
		c, rss := r.metrics.get(i)
		sentB := r.router.SentBytes[i].Load() - r.sentAt0[i]
		rep.PacketsSent += r.router.SentPackets[i].Load()
		rep.PacketsDropped += r.router.Dropped[i].Load()
		n.mu.Lock()
		nr := NodeReport{Node: i, Miner: n.Miner, CPUS: round1(c), RSSMaxMB: round1(rss / 1e6), SentBytes: sentB, Starts: n.starts, Crashed: n.crashed}
		n.mu.Unlock()
		rep.PerNode = append(rep.PerNode, nr)
		cpu += c
		bytes += float64(sentB)
		rep.RSSMaxMB = max(rep.RSSMaxMB, nr.RSSMaxMB)
	}
	rep.CPUSecondsMean = round1(cpu / float64(len(r.nodes)))
	if rep.Blocks > 0 {
		rep.BytesPerNodeBlock = round1(bytes / float64(len(r.nodes)) / float64(rep.Blocks))
	}
}

// check evaluates the invariants.
func (r *run) check(rep *Report) {
	add := func(name string, ok bool, detail string) {
		rep.Invariants = append(rep.Invariants, Invariant{name, ok, detail})
	}
	add("converged", rep.Converged, fmt.Sprintf("one head on every live node %.1f s after the last fault (bound %v)", rep.ConvergeMs/1000, r.cfg.Settle))
	add("no tx lost", rep.LostTxs == 0, fmt.Sprintf("%d lost of %d", rep.LostTxs, rep.TxSubmitted))
	add("every tx mined or dropped with a reason", rep.TxPending == 0, fmt.Sprintf("%d still pending", rep.TxPending))
	var crashed []string
	var fat []string
	for _, n := range rep.PerNode {
		if n.Crashed != "" {
			crashed = append(crashed, fmt.Sprintf("node %d %s", n.Node, n.Crashed))
		}
		if n.RSSMaxMB > r.cfg.MaxRSSMB {
			fat = append(fat, fmt.Sprintf("node %d %.0f MB", n.Node, n.RSSMaxMB))
		}
	}
	add("no node crashed", len(crashed) == 0, strings.Join(crashed, "; "))
	add(fmt.Sprintf("RSS under %.0f MB", r.cfg.MaxRSSMB), len(fat) == 0, strings.Join(fat, "; "))
	add("blocks mined", rep.Blocks > 0, fmt.Sprintf("%d", rep.Blocks))
	rep.OK = true
	for _, inv := range rep.Invariants {
		rep.OK = rep.OK && inv.OK
	}
}

// Markdown renders the report as a table.
func (rep *Report) Markdown() string {
	var b strings.Builder
	chaos := "no"
	if rep.Chaos {
		var ks []string
		for _, f := range rep.Faults {
			ks = append(ks, f.Kind)
		}
		chaos = strings.Join(ks, ", ")
	}
	fmt.Fprintf(&b, "%d nodes (%d mining), %.0f ms ± %.0f ms one way, %.1f%% loss, %d ms blocks, %.0f s, chaos: %s\n\n",
		rep.Nodes, rep.Miners, rep.LatencyMs, rep.JitterMs, rep.Loss*100, rep.BlockIntervalMs, rep.DurationS, chaos)
	b.WriteString("| measure | value |\n|---|---|\n")
	row := func(k, f string, a ...any) { fmt.Fprintf(&b, "| %s | %s |\n", k, fmt.Sprintf(f, a...)) }
	row("blocks (mean interval)", "%d (%.0f ms)", rep.Blocks, rep.MeanBlockMs)
	for _, name := range fractionNames {
		d := rep.Propagation[name]
		row("propagation to "+name+" of nodes", "p50 %.0f ms, p99 %.0f ms (%d blocks)", d.P50, d.P99, d.N)
	}
	d := rep.ContestedPropagation
	row("to 99% of nodes, blocks that won a race", "p50 %.0f ms, p99 %.0f ms (%d blocks)", d.P50, d.P99, d.N)
	row("stale rate", "%.1f%% (%d blocks)", rep.StaleRate*100, rep.StaleBlocks)
	row("reorgs (max depth)", "%d (%d)", rep.Reorgs, rep.ReorgDepthMax)
	row("txs mined / submitted", "%d / %d (pending %d, lost %d, dropped %v)", rep.TxMined, rep.TxSubmitted, rep.TxPending, rep.LostTxs, rep.TxDropped)
	row("tx inclusion", "p50 %.0f ms, p99 %.0f ms", rep.TxInclusionMs.P50, rep.TxInclusionMs.P99)
	row("converged", "%v, %.1f s after the last fault", rep.Converged, rep.ConvergeMs/1000)
	for _, f := range rep.Faults {
		row("one head again after "+f.Kind, "%.1f s (fault at %.0f s, healed at %.0f s)", f.ConvergeS, f.AtS, f.HealS)
	}
	row("CPU per node (mean)", "%.1f s", rep.CPUSecondsMean)
	row("RSS per node (max)", "%.0f MB", rep.RSSMaxMB)
	row("bytes sent per node per block", "%.0f", rep.BytesPerNodeBlock)
	row("packets dropped / sent", "%d / %d", rep.PacketsDropped, rep.PacketsSent)
	row("machine (load at the end)", "%s (%s)", rep.Machine, rep.Load)
	var broke []string
	for _, inv := range rep.Invariants {
		if !inv.OK {
			broke = append(broke, inv.Name+": "+inv.Detail)
		}
	}
	sort.Strings(broke)
	if len(broke) == 0 {
		b.WriteString("\nAll invariants held.\n")
	} else {
		b.WriteString("\nBROKEN: " + strings.Join(broke, "; ") + "\n")
	}
	fmt.Fprintf(&b, "invariants: %d passed, %d failed\n", len(rep.Invariants)-len(broke), len(broke))
	return b.String()
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

func machine() string {
	cpu := ""
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				cpu = strings.TrimSpace(strings.SplitN(l, ":", 2)[1])
				break
			}
		}
	}
	return fmt.Sprintf("%s, %d cores, %s", cpu, runtime.NumCPU(), time.Now().UTC().Format("2006-01-02"))
}
