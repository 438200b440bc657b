package node

import (
	"math/big"
	"net/http"
	"strconv"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/chain/blockchain"
)

// metrics are the node's Prometheus metrics, served at GET /metrics from a
// registry of the node's own (tests run several nodes in one process).
// Levels (height, peers, mempool) are read when scraped; events (blocks,
// reorgs, gossip, HTTP) are counted as they happen.
type metrics struct {
	reg          *prometheus.Registry
	imported     prometheus.Counter
	importTime   prometheus.Histogram
	rejected     *prometheus.CounterVec
	reorgs       prometheus.Counter
	reorgDepth   prometheus.Histogram
	gasUsed      prometheus.Counter
	gossip       *prometheus.CounterVec
	httpRequests *prometheus.CounterVec
}

func newMetrics() *metrics {
	reg := prometheus.NewRegistry()
	f := func(name, help string) prometheus.Opts {
		return prometheus.Opts{Namespace: "tinychain", Name: name, Help: help}
	}
	m := &metrics{
		reg:      reg,
		imported: prometheus.NewCounter(prometheus.CounterOpts(f("blocks_imported_total", "Blocks connected to the main chain."))),
		importTime: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "tinychain", Name: "block_import_seconds",
			Help: "Time to validate, execute and commit a block.", Buckets: prometheus.ExponentialBuckets(0.0005, 4, 8)}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts(f("blocks_rejected_total", "Blocks that broke a rule, by rule.")), []string{"reason"}),
		reorgs:   prometheus.NewCounter(prometheus.CounterOpts(f("reorgs_total", "Chain reorganisations."))),
		reorgDepth: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "tinychain", Name: "reorg_depth",
			Help: "Blocks disconnected per reorganisation.", Buckets: []float64{1, 2, 3, 5, 10, 20, 50, 100}}),
		gasUsed: prometheus.NewCounter(prometheus.CounterOpts(f("vm_gas_used_total", "Gas used by the transactions of connected blocks."))),
		gossip: prometheus.NewCounterVec(prometheus.CounterOpts(f("gossip_messages_total", "Gossiped messages by topic and validation result.")),
			[]string{"topic", "result"}),
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts(f("http_requests_total", "HTTP API requests by route and status code.")),
			[]string{"route", "code"}),
	}
	reg.MustRegister(m.imported, m.importTime, m.rejected, m.reorgs, m.reorgDepth, m.gasUsed, m.gossip, m.httpRequests,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// watch registers the gauges read from n when scraped.
func (m *metrics) watch(n *Node) {
	gauge := func(name, help string, v func() float64) {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "tinychain", Name: name, Help: help}, v))
	}
	gauge("height", "Height of the head block.", func() float64 { return float64(n.Chain.Head().Header.Height) })
	gauge("head_age_seconds", "Time since the head block's timestamp (0 if it is ahead of our clock).", func() float64 {
		return max(0, time.Since(time.UnixMilli(int64(n.Chain.Head().Header.Timestamp))).Seconds())
	})
	gauge("total_work", "Cumulative work of the head (expected hashes).", func() float64 {
		f, _ := new(big.Float).SetInt(n.Chain.Head().TotalWork).Float64()
		return f
	})
	gauge("mempool_txs", "Transactions in the mempool.", func() float64 { c, _ := n.Pool.Stats(); return float64(c) })
	gauge("mempool_bytes", "Encoded size of the mempool's transactions.", func() float64 { _, b := n.Pool.Stats(); return float64(b) })
	gauge("miner_hashrate", "This node's mining hashes per second.", func() float64 { return n.Miner.Hashrate() })
	gauge("mining", "1 while the miner runs.", func() float64 { return boolFloat(n.Miner.Running()) })
	gauge("import_queue_blocks", "Blocks waiting for the block importer.", func() float64 { return float64(n.Importer.Pending()) })
	gauge("storage_failed", "1 once a database write failed and the chain stopped writing (a full disk).",
		func() float64 { return boolFloat(n.Chain.StorageErr() != nil) })
	if n.Net == nil {
		return
	}
	gauge("peers", "Connected peers.", func() float64 { return float64(n.Net.PeerCount()) })
	gauge("syncing", "1 while downloading a branch whose checked headers carry more work than the head, and making progress.", func() float64 { return boolFloat(n.Net.Syncing()) })
	gauge("sync_target_height", "Height of the last checked header of the branch being synced (0 when not syncing).", func() float64 {
		if p := n.Net.Progress(); p != nil {
			return float64(p.Target)
		}
		return 0
	})
	gauge("sync_progress_ratio", "Head height over sync target (1 when not syncing).", func() float64 {
		if p := n.Net.Progress(); p != nil && p.Target > 0 {
			return min(1, float64(n.Chain.Head().Header.Height)/float64(p.Target))
		}
		return 1
	})
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// onHead counts connected blocks, their gas and time, and reorgs.
func (m *metrics) onHead(ev *blockchain.HeadEvent) {
	m.imported.Add(float64(len(ev.Connected)))
	for _, s := range ev.Stats {
		m.gasUsed.Add(float64(s.GasUsed))
		m.importTime.Observe(s.Took.Seconds())
	}
	if d := len(ev.Disconnected); d > 0 {
		m.reorgs.Inc()
		m.reorgDepth.Observe(float64(d))
	}
}

// onRejected counts a block that broke a rule, by the rule's name.
func (m *metrics) onRejected(_ common.Hash, err error) {
	reason := "other"
	if code := chain.CodeOf(err); code != 0 {
		reason = code.String()
	}
	m.rejected.WithLabelValues(reason).Inc()
}

func (m *metrics) onGossip(topic, result string) { m.gossip.WithLabelValues(topic, result).Inc() }

// handler serves the registry in Prometheus' text format.
func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// instrument counts each request by its route pattern (which the mux sets
// on the request) and status code; unrouted paths share one label.
func (m *metrics) instrument(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		h.ServeHTTP(rec, r)
		route := r.Pattern
		if route == "" {
			route = "none"
		}
		m.httpRequests.WithLabelValues(route, strconv.Itoa(rec.code)).Inc()
	})
}

// statusRecorder remembers the status code written through it.
type statusRecorder struct {
	http.ResponseWriter
	code  int
	wrote bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wrote {
		s.code, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(p []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection (the event
// stream flushes and clears its write deadline through it).
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
