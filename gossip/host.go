package gossip

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
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
	ma "github.com/multiformats/go-multiaddr"
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
		// No SO_REUSEPORT: with it a second node on this machine binds
		// the same TCP port silently and splits the first one's
		// connections (checkListening catches the port in use instead).
		libp2p.Transport(tcp.NewTCPTransport, tcp.DisableReuseport()),
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
	h, err := libp2p.New(opts...)
	if err != nil && strings.Contains(err.Error(), "address already in use") {
		return nil, fmt.Errorf("cannot listen on %s: the port is in use (another tinychain node on this machine? give this one other ports with --listen)",
			strings.Join(listen, " "))
	}
	if err != nil {
		return nil, err
	}
	if err := checkListening(h, listen); err != nil {
		h.Close()
		return nil, err
	}
	return h, nil
}

// checkListening fails when a listen address with a fixed port got no
// listener: libp2p starts when any one of them works and only logs the
// others, so a busy port would leave the node without that transport.
func checkListening(h host.Host, listen []string) error {
	have := map[[2]string]bool{} // (tcp|udp, port)
	for _, a := range h.Network().ListenAddresses() {
		have[portOf(a)] = true
	}
	for _, s := range listen {
		a, err := ma.NewMultiaddr(s)
		if err != nil {
			continue // libp2p.New refused it already
		}
		if k := portOf(a); k[1] != "" && k[1] != "0" && !have[k] {
			return fmt.Errorf("cannot listen on %s: %s port %s is in use (another tinychain node on this machine? give this one other ports with --listen)",
				s, strings.ToUpper(k[0]), k[1])
		}
	}
	return nil
}

func portOf(a ma.Multiaddr) [2]string {
	if p, err := a.ValueForProtocol(ma.P_TCP); err == nil {
		return [2]string{"tcp", p}
	}
	if p, err := a.ValueForProtocol(ma.P_UDP); err == nil {
		return [2]string{"udp", p}
	}
	return [2]string{}
}
