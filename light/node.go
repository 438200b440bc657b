package light

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	"github.com/libp2p/go-libp2p/p2p/discovery/mdns"
	"github.com/libp2p/go-libp2p/p2p/net/conngater"
	ma "github.com/multiformats/go-multiaddr"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/chain/blockchain"
	"github.com/tinychain/tinychain/gossip"
	"github.com/tinychain/tinychain/proto"
	"golang.org/x/net/netutil"
)

// Config configures a light node.
type Config struct {
	// DataDir holds the header store (DataDir/headers) and the p2p
	// identity (DataDir/p2p.key, unless KeyFile).
	DataDir   string
	Genesis   *chain.Genesis
	KeyFile   string
	Listen    []string // p2p multiaddrs; none: gossip.DefaultListen
	Bootstrap []string // full nodes to dial and keep dialling (multiaddrs with /p2p/<id>)
	MDNS      bool
	// HTTPAddr is the API's listen address (host:port, port 0 picks
	// one); empty: no API.
	HTTPAddr string
	// Confirmations is how many blocks must be on top of the header an
	// answer is verified against (0: the tip).
	Confirmations uint64
	// ProofTimeout bounds the wait for one full node's proof (0:
	// DefaultProofTimeout); QueryTimeout a whole account or tx query, every
	// full node asked included (0: DefaultQueryTimeout).
	ProofTimeout time.Duration
	QueryTimeout time.Duration
	Logger       *slog.Logger
	Version      string
}

// Defaults of Config's timeouts: a full node that stalls costs a query
// at most DefaultProofTimeout before the next is asked, so that a few
// stalling peers asked first cannot use up the query's time.
const (
	DefaultProofTimeout = 5 * time.Second
	DefaultQueryTimeout = 30 * time.Second
)

// The light node's loops.
const (
	// syncEvery is how often every connected peer is asked for headers
	// after our tip (an up-to-date peer answers with none: one round
	// trip). Gossip brings new heads sooner; this finds what it missed.
	syncEvery = 5 * time.Second
	// redialEvery is how often lost bootstrap peers are dialled again.
	redialEvery = 10 * time.Second
	// maxAsked bounds the full nodes one query asks for a proof: at most
	// maxAsked proof requests of Config.ProofTimeout each.
	maxAsked = 8
)

// Node is a header-only node: a libp2p host that syncs and follows
// headers from full nodes (Store), and answers account and tx queries
// (HTTP API, api.go) from proofs it fetches from them and verifies.
//
// Lifecycle: New opens the store and starts nothing; Start makes the
// host, joins the block topic, runs the loops and serves the API, once;
// Close stops them, waits for every goroutine the node started and closes
// the store; it may be called any number of times, before or after Start.
type Node struct {
	cfg     Config
	log     *slog.Logger
	store   *Store
	metrics *metrics
	strikes *strikes
	queries chan struct{} // API queries running (api.go)

	h     host.Host // nil until Start
	gater *conngater.BasicConnectionGater
	http  *http.Server
	ln    net.Listener

	kick   chan peer.ID // peers to sync from now
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	startMu sync.Mutex // held by a whole Start and a whole Close
	life    sync.Mutex // guards started, closing and h for spawn and host
	started bool
	closing bool
}

// New opens the header store in cfg.DataDir.
func New(cfg Config) (*Node, error) {
	if cfg.Genesis == nil {
		return nil, errors.New("light: Config.Genesis is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.ProofTimeout <= 0 {
		cfg.ProofTimeout = DefaultProofTimeout
	}
	if cfg.QueryTimeout <= 0 {
		cfg.QueryTimeout = DefaultQueryTimeout
	}
	s, err := Open(filepath.Join(cfg.DataDir, "headers"), cfg.Genesis)
	if err != nil {
		return nil, fmt.Errorf("header store: %w", err)
	}
	s.SetProofTimeout(cfg.ProofTimeout)
	ctx, cancel := context.WithCancel(context.Background())
	n := &Node{cfg: cfg, log: cfg.Logger, store: s, metrics: newMetrics(), strikes: newStrikes(),
		queries: make(chan struct{}, maxQueries), kick: make(chan peer.ID, 64), ctx: ctx, cancel: cancel}
	n.metrics.watch(n)
	return n, nil
}

// Store returns the node's header store.
func (n *Node) Store() *Store { return n.store }

// host returns the libp2p host, nil before Start.
func (n *Node) host() host.Host {
	n.life.Lock()
	defer n.life.Unlock()
	return n.h
}

// PeerID returns the host's peer id ("" before Start).
func (n *Node) PeerID() string {
	if h := n.host(); h != nil {
		return h.ID().String()
	}
	return ""
}

// ListenAddrs returns the host's addresses with its peer id.
func (n *Node) ListenAddrs() []string {
	out := []string{}
	if h := n.host(); h != nil {
		for _, a := range h.Addrs() {
			out = append(out, a.String()+"/p2p/"+h.ID().String())
		}
	}
	return out
}

// HTTPAddr returns the API's address once Start returned ("" without one).
func (n *Node) HTTPAddr() string {
	if n.ln == nil {
		return ""
	}
	return n.ln.Addr().String()
}

// Start makes the host, joins the block topic, dials the bootstrap peers,
// runs the sync loop and serves the API. Only once.
func (n *Node) Start() error {
	n.startMu.Lock()
	defer n.startMu.Unlock()
	n.life.Lock()
	closing, started := n.closing, n.started
	n.started = true
	n.life.Unlock()
	switch {
	case closing:
		return fmt.Errorf("light node: start after close: %w", blockchain.ErrStopped)
	case started:
		return fmt.Errorf("light node: %w", blockchain.ErrStarted)
	}
	var boot []peer.AddrInfo
	for _, s := range n.cfg.Bootstrap {
		a, err := ma.NewMultiaddr(s)
		if err != nil {
			return fmt.Errorf("bootstrap %q: %w", s, err)
		}
		info, err := peer.AddrInfoFromP2pAddr(a)
		if err != nil {
			return fmt.Errorf("bootstrap %q: %w (want .../p2p/<peer id>)", s, err)
		}
		boot = append(boot, *info)
	}
	if n.cfg.HTTPAddr != "" {
		ln, err := net.Listen("tcp", n.cfg.HTTPAddr)
		if err != nil {
			return fmt.Errorf("http: %w", err)
		}
		n.ln = netutil.LimitListener(ln, maxConns)
	}
	h, gater, err := gossip.NewClientHost(gossip.ClientConfig{DataDir: n.cfg.DataDir, KeyFile: n.cfg.KeyFile,
		Listen: n.cfg.Listen, Metrics: n.metrics.reg})
	if err != nil {
		return err
	}
	n.life.Lock()
	n.h, n.gater = h, gater
	n.life.Unlock()
	h.Network().Notify(&network.NotifyBundle{
		ConnectedF: func(_ network.Network, c network.Conn) { n.kickSync(c.RemotePeer()) },
	})
	sub, err := gossip.SubscribeHeaders(n.ctx, h, n.cfg.Genesis, n.onHeader)
	if err != nil {
		return err
	}
	n.spawn(func() {
		defer sub.Cancel()
		for {
			if _, err := sub.Next(n.ctx); err != nil {
				return
			}
		}
	})
	n.spawn(n.syncLoop)
	if len(boot) > 0 {
		n.spawn(func() { n.redial(boot) })
	}
	if n.cfg.MDNS {
		svc := mdns.NewMdnsService(h, fmt.Sprintf("tinychain-%d", n.cfg.Genesis.ChainID), mdnsNotifee{n})
		if err := svc.Start(); err != nil {
			return fmt.Errorf("mdns: %w", err)
		}
		if !n.spawn(func() { <-n.ctx.Done(); svc.Close() }) {
			svc.Close()
		}
	}
	if n.ln != nil {
		n.http = newHTTPServer(n.routes())
		n.spawn(func() {
			if err := n.http.Serve(n.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				n.log.Error("http server", "err", err)
			}
		})
	}
	_, height, _ := n.store.Tip()
	n.log.Info("light node started", "peer_id", h.ID(), "addrs", n.ListenAddrs(), "http", n.HTTPAddr(),
		"height", height, "confirmations", n.cfg.Confirmations)
	return nil
}

// spawn runs f on a goroutine Close waits for, unless Close has begun.
func (n *Node) spawn(f func()) bool {
	n.life.Lock()
	defer n.life.Unlock()
	if n.closing {
		return false
	}
	n.wg.Go(f)
	return true
}

// Close stops the node, waits for its goroutines and closes the store.
// Safe to call twice, and before Start.
func (n *Node) Close() error {
	n.startMu.Lock()
	defer n.startMu.Unlock()
	n.life.Lock()
	already := n.closing
	n.closing = true
	n.life.Unlock()
	if already {
		return nil
	}
	n.cancel()
	var errs []error
	if n.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		errs = append(errs, n.http.Shutdown(ctx))
		cancel()
	} else if n.ln != nil {
		errs = append(errs, n.ln.Close())
	}
	if h := n.host(); h != nil {
		errs = append(errs, h.Close())
	}
	n.wg.Wait()
	errs = append(errs, n.store.Close())
	return errors.Join(errs...)
}

type mdnsNotifee struct{ n *Node }

// HandlePeerFound dials a peer found on the local network.
func (m mdnsNotifee) HandlePeerFound(info peer.AddrInfo) {
	n := m.n
	if info.ID == n.h.ID() {
		return
	}
	n.spawn(func() {
		if err := n.h.Connect(n.ctx, info); err != nil {
			n.log.Debug("mdns dial", "peer", info.ID, "err", err)
		}
	})
}

// redial keeps the bootstrap peers connected.
func (n *Node) redial(boot []peer.AddrInfo) {
	for {
		for _, b := range boot {
			if len(n.h.Network().ConnsToPeer(b.ID)) == 0 {
				if err := n.h.Connect(n.ctx, b); err != nil {
					n.log.Debug("bootstrap dial", "peer", b.ID, "err", err)
				}
			}
		}
		select {
		case <-n.ctx.Done():
			return
		case <-time.After(redialEvery):
		}
	}
}

// kickSync asks the sync loop to sync from p soon (dropped when 64 such
// wishes wait already: the periodic round covers every peer anyway).
func (n *Node) kickSync(p peer.ID) {
	select {
	case n.kick <- p:
	default:
	}
}

// syncLoop syncs headers from a peer that was kicked (it connected, or
// gossiped a header whose parent we lack) and every syncEvery from every
// connected peer that serves headers, one at a time.
func (n *Node) syncLoop() {
	t := time.NewTicker(syncEvery)
	defer t.Stop()
	for {
		select {
		case <-n.ctx.Done():
			return
		case p := <-n.kick:
			n.syncPeer(p)
		case <-t.C:
			for _, p := range n.peersSpeaking(gossip.HeadersProtocol(n.cfg.Genesis.ChainID)) {
				n.syncPeer(p)
			}
		}
	}
}

// syncPeer syncs headers from p; bad headers get it a strike.
func (n *Node) syncPeer(p peer.ID) {
	if n.h.Network().Connectedness(p) != network.Connected {
		return
	}
	added, err := n.store.SyncFrom(n.ctx, n.h, p)
	if added > 0 {
		n.metrics.headers.WithLabelValues("sync").Add(float64(added))
		tip, height, _ := n.store.Tip()
		n.log.Info("headers synced", "peer", p, "added", added, "height", height, "tip", tip)
	}
	switch {
	case err == nil:
	case headerFault(err):
		n.strike(p, "bad headers", err)
	default:
		n.log.Debug("header sync", "peer", p, "err", err)
	}
}

// headerFault reports whether a header failed a check its sender could
// have made itself.
func headerFault(err error) bool {
	return chain.IsPeerFault(err) || errors.Is(err, chain.ErrCheckpoint) || errors.Is(err, ErrUnknownParent)
}

// onHeader takes the header of a gossiped block: stored if it checks out,
// a sync from its sender if its parent is unknown, a strike if it fails a
// check. It runs on GossipSub's goroutines.
func (n *Node) onHeader(from peer.ID, hdr *proto.Header) error {
	if n.ctx.Err() != nil {
		return nil
	}
	err := n.store.Add(hdr, uint64(time.Now().UnixMilli()))
	switch {
	case err == nil:
		n.metrics.headers.WithLabelValues("gossip").Inc()
		n.log.Debug("gossiped header", "peer", from, "height", hdr.Height, "hash", hdr.Hash())
	case errors.Is(err, ErrKnown), errors.Is(err, chain.ErrTimeTooNew):
	case errors.Is(err, ErrUnknownParent):
		n.kickSync(from)
	case headerFault(err):
		n.strike(from, "bad gossiped header", err)
		return err
	default:
		n.log.Debug("gossiped header", "peer", from, "err", err)
	}
	return nil
}

// strike counts one against p, logged with its peer id; the maxStrikes-th
// within banTime disconnects it and bans it for banTime.
func (n *Node) strike(p peer.ID, what string, why error) {
	s := n.strikes.add(p, time.Now())
	n.metrics.strikes.Inc()
	n.log.Warn("peer served "+what, "peer", p, "strikes", s, "err", why)
	if s == maxStrikes {
		n.log.Warn("disconnecting and banning peer", "peer", p, "for", banTime)
		_ = n.gater.BlockPeer(p)
		n.h.Network().ClosePeer(p)
		time.AfterFunc(banTime, func() { _ = n.gater.UnblockPeer(p) })
	}
}

// peersSpeaking returns the connected peers known (from identify) to
// speak protocol id.
func (n *Node) peersSpeaking(id ...protocol.ID) []peer.ID {
	var out []peer.ID
	for _, p := range n.h.Network().Peers() {
		if ok, _ := n.h.Peerstore().SupportsProtocols(p, id...); len(ok) > 0 {
			out = append(out, p)
		}
	}
	return out
}

// fullNodes returns the connected peers that serve proofs, fewest
// strikes first, at most maxAsked.
func (n *Node) fullNodes() []peer.ID {
	ps := n.strikes.order(n.peersSpeaking(gossip.ProofProtocol(n.cfg.Genesis.ChainID)))
	return ps[:min(len(ps), maxAsked)]
}
