package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"

	"github.com/alecthomas/kong"
	"github.com/ethereum/go-ethereum/common"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/gossip"
	"github.com/tinychain/tinychain/node"
	"github.com/tinychain/tinychain/wallet"
)

// defaultDataDir is ~/.tinychain.
func defaultDataDir() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return ".tinychain"
	}
	return filepath.Join(home, ".tinychain")
}

type nodeCmd struct {
	Config      kong.ConfigFlag `help:"TOML file of flag values: keys are the flag names (mine-threads = 2); flags given here override it." type:"existingfile" placeholder:"FILE"`
	Datadir     string          `help:"Data directory (chain database, keystore)." default:"${datadir}" type:"path"`
	Genesis     string          `help:"Genesis: 'devnet' or a JSON file." default:"devnet"`
	HTTP        string          `name:"http" help:"HTTP API listen address (host:port; port 0 picks a free one)." default:"127.0.0.1:8080"`
	HTTPCORS    []string        `name:"http-cors" help:"Origins a browser may call the API from (comma-separated, * for any); default none: CORS off." placeholder:"ORIGINS"`
	Mine        bool            `help:"Mine blocks."`
	Miner       string          `help:"Address that takes block rewards (default on the devnet: dev key 0)."`
	MineThreads int             `help:"Mining threads (default: all cores)." default:"0"`
	Listen      []string        `help:"p2p listen multiaddrs (default TCP and QUIC on port 4001)."`
	Bootstrap   []string        `help:"Peers to dial and keep dialling (multiaddrs with /p2p/<id>)."`
	MDNS        bool            `name:"mdns" help:"Find peers on the local network (--mdns=false to turn off)." default:"true" negatable:""`
	DHT         bool            `name:"dht" help:"Find peers through a Kademlia DHT in the chain's own namespace."`
	P2PKey      string          `name:"p2p-key" help:"p2p identity key file (default <datadir>/p2p.key, created if missing); pins the peer ID." type:"path"`
	LogLevel    string          `help:"Log level: debug, info, warn, error." default:"info" enum:"debug,info,warn,error"`
	LogFormat   string          `help:"Log format: text or json." default:"text" enum:"text,json"`
	Prover      bool            `help:"Serve POST /v1/prove: proofs of runs, one at a time (429 when busy), with the keys in <datadir>/zk (tinychain vm setup)."`
}

func newLogger(w io.Writer, level, format string) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: lv}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func loadGenesis(spec string) (*chain.Genesis, bool, error) {
	if spec == "" || spec == "devnet" {
		return chain.Devnet(), true, nil
	}
	g, err := chain.LoadGenesis(spec)
	return g, false, err
}

// check rejects malformed addresses before anything opens: usage errors.
func (c *nodeCmd) check() error {
	host, port, err := net.SplitHostPort(c.HTTP)
	if err == nil {
		if _, perr := strconv.ParseUint(port, 10, 16); perr != nil {
			err = fmt.Errorf("port %q is not a number from 0 to 65535", port)
		} else if host != "" && net.ParseIP(host) == nil && !validHostname(host) {
			err = fmt.Errorf("host %q is neither an IP address nor a host name", host)
		}
	}
	if err != nil {
		return usageErrorf("--http %q: %v (want host:port, e.g. 127.0.0.1:8080)", c.HTTP, err)
	}
	for _, s := range c.Listen {
		if _, err := ma.NewMultiaddr(s); err != nil {
			return usageErrorf("--listen %q: %v (want a multiaddr, e.g. /ip4/0.0.0.0/tcp/4001)", s, err)
		}
	}
	for _, s := range c.Bootstrap {
		a, err := ma.NewMultiaddr(s)
		if err == nil {
			_, err = peer.AddrInfoFromP2pAddr(a)
		}
		if err != nil {
			return usageErrorf("--bootstrap %q: %v (want a multiaddr ending in /p2p/<peer id>)", s, err)
		}
	}
	return nil
}

// validHostname accepts what a resolver could look up: letters, digits,
// hyphens and dots.
func validHostname(h string) bool {
	for _, r := range h {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return false
		}
	}
	return h != ""
}

// minerAddress is who takes the block rewards.
func (c *nodeCmd) minerAddress(devnet bool) (common.Address, error) {
	switch {
	case c.Miner != "":
		return parseAddress("--miner", c.Miner)
	case c.Mine && devnet:
		return wallet.DevAddress(0), nil
	case c.Mine:
		return common.Address{}, usageErrorf("--mine needs --miner ADDR on a chain other than the devnet")
	}
	return common.Address{}, nil
}

// Run starts the node and keeps it running until e.ctx is cancelled
// (SIGINT or SIGTERM); Main.Close stops it.
func (c *nodeCmd) Run(e *env) error {
	if err := c.check(); err != nil {
		return err
	}
	log := newLogger(e.stderr, c.LogLevel, c.LogFormat)
	g, devnet, err := loadGenesis(c.Genesis)
	if err != nil {
		return err
	}
	minerAddr, err := c.minerAddress(devnet)
	if err != nil {
		return err
	}
	n, err := node.New(node.Config{
		DataDir: c.Datadir, Genesis: g, HTTPAddr: c.HTTP,
		Mine: c.Mine, MinerAddr: minerAddr, MineThreads: c.MineThreads,
		P2P:  &gossip.Config{KeyFile: c.P2PKey, Listen: c.Listen, Bootstrap: c.Bootstrap, MDNS: c.MDNS, DHT: c.DHT},
		HTTP: node.HTTPLimits{CORSOrigins: c.HTTPCORS}, ZK: node.ZKConfig{Prover: c.Prover},
		Logger: log, Version: versionString(),
	})
	if err != nil {
		return err
	}
	e.onClose(n.Close)
	if err := n.Start(); err != nil {
		return err
	}
	<-e.ctx.Done()
	log.Info("shutting down", "reason", context.Cause(e.ctx))
	return nil
}
