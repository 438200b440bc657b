package main

import (
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/ethereum/go-ethereum/common"
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
	Datadir     string   `help:"Data directory (chain database, keystore)." default:"${datadir}" type:"path"`
	Genesis     string   `help:"Genesis: 'devnet' or a JSON file." default:"devnet"`
	HTTP        string   `name:"http" help:"HTTP API listen address." default:"127.0.0.1:8080"`
	HTTPCORS    []string `name:"http-cors" help:"Origins a browser may call the API from (comma-separated, * for any); default none: CORS off." placeholder:"ORIGINS"`
	Mine        bool     `help:"Mine blocks."`
	Miner       string   `help:"Address that takes block rewards (default on the devnet: dev key 0)."`
	MineThreads int      `help:"Mining threads (default: all cores)." default:"0"`
	Listen      []string `help:"p2p listen multiaddrs (default TCP and QUIC on port 4001)."`
	Bootstrap   []string `help:"Peers to dial and keep dialling (multiaddrs with /p2p/<id>)."`
	MDNS        bool     `name:"mdns" help:"Find peers on the local network (--mdns=false to turn off)." default:"true" negatable:""`
	DHT         bool     `name:"dht" help:"Find peers through a Kademlia DHT in the chain's own namespace."`
	P2PKey      string   `name:"p2p-key" help:"p2p identity key file (default <datadir>/p2p.key, created if missing); pins the peer ID." type:"path"`
	LogLevel    string   `help:"Log level: debug, info, warn, error." default:"info" enum:"debug,info,warn,error"`
	LogFormat   string   `help:"Log format: text or json." default:"text" enum:"text,json"`
}

func newLogger(level, format string) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: lv}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}

func loadGenesis(spec string) (*chain.Genesis, bool, error) {
	if spec == "" || spec == "devnet" {
		return chain.Devnet(), true, nil
	}
	g, err := chain.LoadGenesis(spec)
	return g, false, err
}

func (c *nodeCmd) Run() error {
	log := newLogger(c.LogLevel, c.LogFormat)
	slog.SetDefault(log)
	g, devnet, err := loadGenesis(c.Genesis)
	if err != nil {
		return err
	}
	var minerAddr common.Address
	switch {
	case c.Miner != "":
		if minerAddr, err = wallet.ParseAddress(c.Miner); err != nil {
			return fmt.Errorf("--miner: %w", err)
		}
	case c.Mine && devnet:
		minerAddr = wallet.DevAddress(0)
	case c.Mine:
		return fmt.Errorf("--mine needs --miner ADDR on a chain other than the devnet")
	}
	n, err := node.New(node.Config{
		DataDir: c.Datadir, Genesis: g, HTTPAddr: c.HTTP,
		Mine: c.Mine, MinerAddr: minerAddr, MineThreads: c.MineThreads,
		P2P:    &gossip.Config{KeyFile: c.P2PKey, Listen: c.Listen, Bootstrap: c.Bootstrap, MDNS: c.MDNS, DHT: c.DHT},
		HTTP:   node.HTTPLimits{CORSOrigins: c.HTTPCORS},
		Logger: log, Version: version,
	})
	if err != nil {
		return err
	}
	if err := n.Start(); err != nil {
		n.Close()
		return err
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	s := <-sig
	log.Info("shutting down", "signal", strings.ToLower(s.String()))
	return n.Close()
}
