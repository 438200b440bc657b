package light

import (
	"math/big"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are a light node's Prometheus metrics, served at GET /metrics
// from a registry of its own (tests run several nodes in one process).
type metrics struct {
	reg     *prometheus.Registry
	headers *prometheus.CounterVec // headers added, by source
	proofs  *prometheus.CounterVec // proof queries, by kind and result
	strikes prometheus.Counter
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		headers: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "tinychain", Subsystem: "light",
			Name: "headers_added_total", Help: "Headers checked and stored, by source (sync or gossip)."}, []string{"source"}),
		proofs: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "tinychain", Subsystem: "light",
			Name: "proofs_total", Help: "Proofs asked of full nodes, by kind (account, tx) and result (verified, lied, failed)."},
			[]string{"kind", "result"}),
		strikes: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "tinychain", Subsystem: "light",
			Name: "peer_strikes_total", Help: "Strikes against peers that served bad headers or bad proofs."}),
	}
	m.reg.MustRegister(m.headers, m.proofs, m.strikes,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// watch registers the gauges read from n when scraped.
func (m *metrics) watch(n *Node) {
	gauge := func(name, help string, v func() float64) {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "tinychain", Subsystem: "light", Name: name, Help: help}, v))
	}
	gauge("height", "Height of the best header chain.", func() float64 { _, h, _ := n.store.Tip(); return float64(h) })
	gauge("headers", "Headers held, the genesis included.", func() float64 { return float64(n.store.Len()) })
	gauge("total_work", "Cumulative work of the best header chain.", func() float64 {
		_, _, w := n.store.Tip()
		f, _ := new(big.Float).SetInt(w).Float64()
		return f
	})
	gauge("peers", "Connected peers.", func() float64 {
		if h := n.host(); h != nil {
			return float64(len(h.Network().Peers()))
		}
		return 0
	})
}
