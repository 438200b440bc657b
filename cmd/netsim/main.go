// Command netsim runs N tinychain nodes, each in a network namespace of
// its own, joined by a user-space router that gives every link latency,
// jitter and loss, and reports how the network behaved (see
// internal/netsim). It needs root (namespaces, TUN devices, cgroups).
// scripts/netsim builds it and the node binary and runs it.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tinychain/tinychain/internal/netsim"
)

func main() {
	os.Exit(run())
}

func run() int {
	var cfg netsim.Config
	var loss, faults string
	var asJSON, cleanup bool
	flag.IntVar(&cfg.Nodes, "nodes", 50, "nodes")
	flag.IntVar(&cfg.Miners, "miners", 0, "mining nodes (default: a fifth of the nodes, at least 2)")
	flag.IntVar(&cfg.Peers, "peers", 3, "bootstrap peers of each node (random earlier nodes)")
	flag.DurationVar(&cfg.Latency, "latency", 100*time.Millisecond, "one-way delay of every link")
	flag.DurationVar(&cfg.Jitter, "jitter", 10*time.Millisecond, "jitter of each packet, uniform in ±jitter")
	flag.StringVar(&loss, "loss", "1%", "packet loss of every link (1% or 0.01)")
	flag.StringVar(&cfg.Bandwidth, "bandwidth", "", "egress rate of each node, as tc says it (10mbit); default none")
	flag.DurationVar(&cfg.BlockInterval, "block-interval", 2*time.Second, "the genesis block interval")
	flag.DurationVar(&cfg.Duration, "duration", 5*time.Minute, "measured time, the settling included")
	flag.DurationVar(&cfg.Settle, "settle", 0, "time at the end without load or faults, the convergence bound (default max(30s, 15 blocks), at most a third of --duration)")
	flag.BoolVar(&cfg.Chaos, "chaos", false, "faults: partitions, kill -9 and restart, one-way loss, a slow node")
	flag.StringVar(&faults, "faults", strings.Join(netsim.AllFaults, ","), "chaos schedule, in order (partition, kill, oneway, slow)")
	flag.Float64Var(&cfg.TxRate, "tx-rate", 3, "txs per second in all")
	flag.IntVar(&cfg.Senders, "senders", 8, "sending dev keys (1..9)")
	flag.Float64Var(&cfg.MinerCPU, "miner-cpu", 0, "CPU quota of each miner, in cores (default 0.5 cores shared by the miners, at most 0.1 each)")
	flag.Float64Var(&cfg.MaxRSSMB, "max-rss", 1024, "a node above this RSS (MB) breaks an invariant")
	flag.Uint64Var(&cfg.Seed, "seed", uint64(time.Now().UnixNano()), "random seed (topology, loss, faults)")
	flag.StringVar(&cfg.Bin, "bin", "bin/tinychain", "the tinychain binary")
	flag.BoolVar(&cfg.Keep, "keep", false, "keep the data dirs and logs")
	flag.BoolVar(&asJSON, "json", false, "stdout is only the JSON report (the table goes to stderr)")
	flag.BoolVar(&cleanup, "cleanup", false, "only remove what an earlier run left, and exit")
	flag.Parse()
	if cleanup {
		if err := netsim.Lock(); err != nil {
			fmt.Fprintln(os.Stderr, "netsim: nothing removed:", err)
			return 1
		}
		netsim.Cleanup()
		netsim.RemoveCrashedDirs()
		return 0
	}
	if err := finish(&cfg, loss, faults); err != nil {
		fmt.Fprintln(os.Stderr, "netsim:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := netsim.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "netsim:", err)
		return 1
	}
	table := rep.Markdown()
	if asJSON {
		fmt.Fprint(os.Stderr, table)
		b, _ := json.MarshalIndent(rep, "", "  ")
		fmt.Println(string(b))
	} else {
		fmt.Print(table)
	}
	if !rep.OK {
		return 3
	}
	return 0
}

// finish checks the flags and fills in the defaults that depend on others.
func finish(cfg *netsim.Config, loss, faults string) error {
	if cfg.Nodes < 2 || cfg.Nodes > 1000 {
		return fmt.Errorf("--nodes must be 2..1000")
	}
	if cfg.Miners == 0 {
		cfg.Miners = max(2, cfg.Nodes/5)
	}
	cfg.Miners = min(cfg.Miners, cfg.Nodes)
	if cfg.MinerCPU == 0 {
		cfg.MinerCPU = min(0.1, 0.5/float64(cfg.Miners))
	}
	if cfg.Senders < 0 || cfg.Senders > 9 {
		return fmt.Errorf("--senders must be 0..9")
	}
	l, err := parseLoss(loss)
	if err != nil {
		return err
	}
	cfg.Loss = l
	if cfg.Faults, err = netsim.ParseFaults(faults); err != nil {
		return err
	}
	if cfg.Settle == 0 {
		cfg.Settle = max(30*time.Second, 15*cfg.BlockInterval)
	}
	cfg.Settle = min(cfg.Settle, cfg.Duration/3)
	if cfg.BlockInterval < 100*time.Millisecond {
		return fmt.Errorf("--block-interval must be at least 100ms")
	}
	cfg.Log = os.Stderr
	return nil
}

func parseLoss(s string) (float64, error) {
	pct := strings.HasSuffix(s, "%")
	v, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
	if err != nil {
		return 0, fmt.Errorf("--loss %q: %w", s, err)
	}
	if pct {
		v /= 100
	}
	if v < 0 || v >= 1 {
		return 0, fmt.Errorf("--loss %q: must be in [0, 100%%)", s)
	}
	return v, nil
}
