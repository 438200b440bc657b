package node_test

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/gossip"
	"github.com/tinychain/tinychain/node"
	"github.com/tinychain/tinychain/wallet"
)

// TestExplorerRoutes fetches every file of the explorer and checks that it
// does not shadow the API's JSON errors.
func TestExplorerRoutes(t *testing.T) {
	n, _ := startNode(t, false)
	base := "http://" + n.HTTPAddr()
	for _, c := range []struct {
		method, path string
		code         int
		ctype, body  string
	}{
		{"GET", "/", 200, "text/html; charset=utf-8", `<script src="/app.js"`},
		{"GET", "/index.html", 301, "", ""}, // FileServer canonicalises to /
		{"GET", "/app.js", 200, "text/javascript; charset=utf-8", "EventSource"},
		{"GET", "/style.css", 200, "text/css; charset=utf-8", "{"},
		{"HEAD", "/", 200, "text/html; charset=utf-8", ""},
		{"POST", "/", 405, "", ""},
		{"GET", "/no-such-file.js", 404, "", ""},
		{"GET", "/v1/no-such-endpoint", 404, "application/json", `"error"`},
	} {
		req, _ := http.NewRequest(c.method, base+c.path, nil)
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.code {
			t.Errorf("%s %s: status %d, want %d", c.method, c.path, resp.StatusCode, c.code)
		}
		if ct := resp.Header.Get("Content-Type"); c.ctype != "" && ct != c.ctype {
			t.Errorf("%s %s: Content-Type %q, want %q", c.method, c.path, ct, c.ctype)
		}
		if !strings.Contains(string(body), c.body) {
			t.Errorf("%s %s: body lacks %q", c.method, c.path, c.body)
		}
	}
}

// scrape reads /metrics into metric families.
func scrape(t *testing.T, base string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics: %d", resp.StatusCode)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

// value is the value of the series of family name whose labels include
// want (gauge, counter or histogram count); -1 when absent.
func value(fams map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	f := fams[name]
	if f == nil {
		return -1
	}
next:
	for _, m := range f.Metric {
		for k, v := range want {
			found := false
			for _, l := range m.Label {
				found = found || (l.GetName() == k && l.GetValue() == v)
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return -1
}

func TestMetrics(t *testing.T) {
	n, _ := startNode(t, true)
	base := "http://" + n.HTTPAddr()
	deadline := time.Now().Add(30 * time.Second)
	for n.Chain.Head().Header.Height < 3 {
		if time.Now().After(deadline) {
			t.Fatal("no blocks mined")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// One block that breaks a rule: solved, then its txs swapped, so its
	// tx root no longer matches.
	b := solveOn(t, n)
	b.Txs = append(b.Txs, transfer(t, 77, 0, wallet.DevAddress(2), 1))
	if err := n.Chain.ProcessBlock(b); !errors.Is(err, chain.ErrBadTxRoot) {
		t.Fatalf("tampered block: %v, want %v", err, chain.ErrBadTxRoot)
	}
	for _, path := range []string{"/v1/status", "/v1/blocks/999999"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}

	fams := scrape(t, base)
	height := float64(n.Chain.Head().Header.Height)
	for _, c := range []struct {
		name   string
		labels map[string]string
		min    float64
	}{
		{"tinychain_height", nil, 3},
		{"tinychain_blocks_imported_total", nil, 3},
		{"tinychain_block_import_seconds", nil, 3},
		{"tinychain_blocks_rejected_total", map[string]string{"reason": chain.ErrBadTxRoot.String()}, 1},
		{"tinychain_total_work", nil, 1},
		{"tinychain_miner_hashrate", nil, 0},
		{"tinychain_mining", nil, 1},
		{"tinychain_storage_failed", nil, 0},
		{"tinychain_mempool_txs", nil, 0},
		{"tinychain_mempool_bytes", nil, 0},
		{"tinychain_head_age_seconds", nil, 0},
		{"tinychain_reorgs_total", nil, 0},
		{"tinychain_vm_gas_used_total", nil, 0},
		{"tinychain_http_requests_total", map[string]string{"route": "GET /v1/status", "code": "200"}, 1},
		{"tinychain_http_requests_total", map[string]string{"route": "GET /v1/blocks/{id}", "code": "404"}, 1},
		{"go_goroutines", nil, 1},
		{"process_resident_memory_bytes", nil, 1},
	} {
		if v := value(fams, c.name, c.labels); v < c.min {
			t.Errorf("%s%v = %v, want >= %v", c.name, c.labels, v, c.min)
		}
	}
	if v := value(fams, "tinychain_height", nil); v > height+1 {
		t.Errorf("tinychain_height %v, head is %v", v, height)
	}
}

// TestNetworkMetrics checks the peer, gossip and libp2p metrics of a node
// that hears blocks from a mining peer.
func TestNetworkMetrics(t *testing.T) {
	start := func(mine bool, boot ...string) *node.Node {
		return runNode(t, node.Config{Genesis: easyGenesis(), Mine: mine, MinerAddr: wallet.DevAddress(9), MineThreads: 1,
			P2P: &gossip.Config{Listen: []string{"/ip4/127.0.0.1/tcp/0"}, Bootstrap: boot}})
	}
	a := start(false)
	b := start(false, a.Net.ListenAddrs()[0])
	base := "http://" + b.HTTPAddr()
	deadline := time.Now().Add(30 * time.Second)
	for b.Net.PeerCount() == 0 || a.Net.PeerCount() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("nodes did not connect")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Blocks a mines now reach b over gossip, not by sync.
	time.Sleep(500 * time.Millisecond) // the gossip mesh forms on a heartbeat
	a.Miner.Start()
	blocks := map[string]string{"topic": "/tinychain/77/blocks/1", "result": "accept"}
	for value(scrape(t, base), "tinychain_gossip_messages_total", blocks) < 1 {
		if time.Now().After(deadline) {
			t.Fatal("no gossiped block counted")
		}
		time.Sleep(100 * time.Millisecond)
	}
	fams := scrape(t, base)
	if v := value(fams, "tinychain_peers", nil); v != 1 {
		t.Errorf("tinychain_peers = %v, want 1", v)
	}
	for _, name := range []string{"tinychain_syncing", "tinychain_sync_progress_ratio", "tinychain_sync_target_height"} {
		if value(fams, name, nil) < 0 {
			t.Errorf("%s missing", name)
		}
	}
	libp2p := 0
	for name := range fams {
		if strings.HasPrefix(name, "libp2p_") {
			libp2p++
		}
	}
	if libp2p == 0 {
		t.Error("no libp2p_* metrics")
	}
}
