package gossip

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/p2p/muxer/yamux"
	"github.com/libp2p/go-libp2p/p2p/net/conngater"
	"github.com/libp2p/go-libp2p/p2p/net/connmgr"
	"github.com/libp2p/go-libp2p/p2p/security/noise"
	quic "github.com/libp2p/go-libp2p/p2p/transport/quic"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"
	"github.com/prometheus/client_golang/prometheus"

	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
)

// Connection bounds: the connection manager trims to low when above high.
const (
	connLow  = 32
	connHigh = 96
)

// loadIdentity reads the host's key. With no key file given it is
// dir/p2p.key, created on first start, so the peer ID survives restarts. A
// key file given (--p2p-key) must exist: it pins a peer ID that others
// name in their bootstrap addresses, as a testnet's bootstrap node does.
func loadIdentity(dir, keyFile string) (crypto.PrivKey, error) {
	path := keyFile
	if path == "" {
		path = filepath.Join(dir, "p2p.key")
	}
	b, err := os.ReadFile(path)
	if err == nil {
		k, err := crypto.UnmarshalPrivateKey(b)
		if err != nil {
			return nil, fmt.Errorf("p2p key %s: %w", path, err)
		}
		return k, nil
	}
	if keyFile != "" || !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("p2p key: %w", err)
	}
	k, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		return nil, err
	}
	b, err = crypto.MarshalPrivateKey(k)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return nil, fmt.Errorf("write p2p key: %w", err)
	}
	return k, nil
}

// newHost builds the libp2p host and listens on listen.
func newHost(key crypto.PrivKey, listen []string, gater *conngater.BasicConnectionGater, metrics prometheus.Registerer) (host.Host, error) {
	cm, err := connmgr.NewConnManager(connLow, connHigh, connmgr.WithGracePeriod(time.Minute))
	if err != nil {
		return nil, err
	}
	rm, err := rcmgr.NewResourceManager(rcmgr.NewFixedLimiter(rcmgr.DefaultLimits.AutoScale()))
	if err != nil {
		return nil, err
	}
	opts := []libp2p.Option{
		libp2p.Identity(key),
		libp2p.ListenAddrStrings(listen...),
		libp2p.Transport(tcp.NewTCPTransport),
		libp2p.Transport(quic.NewTransport),
		libp2p.Security(noise.ID, noise.New),
		libp2p.Muxer(yamux.ID, yamux.DefaultTransport),
		libp2p.ConnectionManager(cm),
		libp2p.ResourceManager(rm),
		libp2p.ConnectionGater(gater), // keeps banned peers out (network.go: strike)
	}
	if metrics != nil {
		opts = append(opts, libp2p.PrometheusRegisterer(metrics))
	} else {
		// Not the process-wide default registry: tests run many hosts.
		opts = append(opts, libp2p.DisableMetrics())
	}
	return libp2p.New(opts...)
}
