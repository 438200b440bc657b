package netsim

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// scraper reads each node's CPU time and RSS from its /metrics.
type scraper struct {
	nodes []*Node

	mu      sync.Mutex
	cpu     []float64 // seconds, summed over the node's restarts
	lastCPU []float64 // the current process's last reading
	rssMax  []float64 // bytes
}

func newScraper(nodes []*Node) *scraper {
	n := len(nodes)
	return &scraper{nodes: nodes, cpu: make([]float64, n), lastCPU: make([]float64, n), rssMax: make([]float64, n)}
}

func (s *scraper) run(ctx context.Context, every time.Duration) {
	for sleep(ctx, every) {
		s.scrape(ctx)
	}
}

// scrape reads every node once (a node that does not answer is skipped).
func (s *scraper) scrape(ctx context.Context) {
	var wg sync.WaitGroup
	for i, n := range s.nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, err := readMetrics(ctx, n, "process_cpu_seconds_total", "process_resident_memory_bytes")
			if err != nil {
				return
			}
			s.mu.Lock()
			defer s.mu.Unlock()
			cpu := m["process_cpu_seconds_total"]
			if cpu < s.lastCPU[i] { // restarted
				s.lastCPU[i] = 0
			}
			s.cpu[i] += cpu - s.lastCPU[i]
			s.lastCPU[i] = cpu
			s.rssMax[i] = max(s.rssMax[i], m["process_resident_memory_bytes"])
		}()
	}
	wg.Wait()
}

// readMetrics returns the values of the named unlabelled metrics.
func readMetrics(ctx context.Context, n *Node, names ...string) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", n.Client.URL+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := n.Client.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return parseMetrics(io.LimitReader(resp.Body, 16<<20), names...), nil
}

// parseMetrics reads Prometheus text for the named unlabelled metrics.
func parseMetrics(r io.Reader, names ...string) map[string]float64 {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || !want[f[0]] {
			continue
		}
		if v, err := strconv.ParseFloat(f[1], 64); err == nil {
			out[f[0]] = v
		}
	}
	return out
}

func (s *scraper) get(i int) (cpu, rss float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cpu[i], s.rssMax[i]
}
