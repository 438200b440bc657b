package main

import (
	"context"
	"path/filepath"

	"github.com/tinychain/tinychain/light"
)

// lightCmd runs a header-only node (package light).
type lightCmd struct {
	Datadir       string   `help:"Data directory: the light node keeps its headers and p2p key in <datadir>/light." default:"${datadir}" type:"path"`
	Genesis       string   `help:"Genesis: 'devnet' or a JSON file." default:"devnet"`
	HTTP          string   `name:"http" help:"HTTP API listen address (host:port; port 0 picks a free one)." default:"127.0.0.1:8081"`
	Listen        []string `help:"p2p listen multiaddrs." default:"/ip4/0.0.0.0/tcp/4002,/ip4/0.0.0.0/udp/4002/quic-v1"`
	Bootstrap     []string `help:"Full nodes to dial and keep dialling (multiaddrs with /p2p/<id>)."`
	MDNS          bool     `name:"mdns" help:"Find peers on the local network (--mdns=false to turn off)." default:"true" negatable:""`
	P2PKey        string   `name:"p2p-key" help:"p2p identity key file (default <datadir>/light/p2p.key, created if missing)." type:"path"`
	Confirmations uint64   `help:"Blocks on top of the header that answers are verified against." default:"6"`
	LogLevel      string   `help:"Log level: debug, info, warn, error." default:"info" enum:"debug,info,warn,error"`
	LogFormat     string   `help:"Log format: text or json." default:"text" enum:"text,json"`
}

// Run starts the light node and keeps it running until e.ctx is
// cancelled; Main.Close stops it.
func (c *lightCmd) Run(e *env) error {
	// The node command's checks of the addresses: usage errors, exit 2.
	if err := (&nodeCmd{HTTP: c.HTTP, Listen: c.Listen, Bootstrap: c.Bootstrap}).check(); err != nil {
		return err
	}
	log := newLogger(e.stderr, c.LogLevel, c.LogFormat)
	g, _, err := loadGenesis(c.Genesis)
	if err != nil {
		return err
	}
	n, err := light.New(light.Config{
		DataDir: filepath.Join(c.Datadir, "light"), Genesis: g, KeyFile: c.P2PKey,
		Listen: c.Listen, Bootstrap: c.Bootstrap, MDNS: c.MDNS, HTTPAddr: c.HTTP,
		Confirmations: c.Confirmations, Logger: log, Version: versionString(),
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
