package gossip

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/common"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	"github.com/libp2p/go-libp2p/p2p/net/conngater"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/tinychain/tinychain/chain/blockchain"
	"github.com/tinychain/tinychain/chain/mempool"
)

// Config configures the network.
type Config struct {
	DataDir   string   // holds p2p.key
	KeyFile   string   // the identity key instead of DataDir/p2p.key; must exist
	Listen    []string // multiaddrs; default TCP and QUIC on port 4001
	Bootstrap []string // multiaddrs with /p2p/<id>, redialled when lost
	MDNS      bool     // find peers on the local network
	DHT       bool     // find peers through a Kademlia DHT in the chain's namespace
	Chain     *blockchain.Chain
	// Importer admits the blocks that gossip and sync bring (required);
	// head events come through it too.
	Importer *blockchain.Importer
	Mempool  *mempool.Mempool
	Logger   *slog.Logger
	// Metrics, if set, takes libp2p's Prometheus collectors.
	Metrics prometheus.Registerer
	// OnMessage, if set, hears each gossiped message's topic and
	// validation result (accept, reject or ignore).
	OnMessage func(topic, result string)
	// VerdictWait bounds how long a block validator waits for the
	// importer's verdict (default DefaultVerdictWait); past it the block
	// is ignored (not relayed by us), though the importer still
	// processes it.
	VerdictWait time.Duration
}

// DefaultVerdictWait is Config.VerdictWait's default.
const DefaultVerdictWait = 10 * time.Second

// DefaultListen are the listen addresses when none are given.
var DefaultListen = []string{"/ip4/0.0.0.0/tcp/4001", "/ip4/0.0.0.0/udp/4001/quic-v1"}

// Network is the libp2p node of one chain.
//
// Lifecycle: New loads the identity and builds the network, starting no
// goroutine and listening nowhere; Start makes the host, listens, joins
// the topics and runs the loops, once (a second Start is an error, as is
// one after Close); Close stops it all and returns when every goroutine
// the network started has ended, and may be called any number of times,
// before or after Start. Every goroutine goes through spawn, which starts
// none once Close has begun, so no wg.Add races Close's Wait.
type Network struct {
	cfg    Config
	key    crypto.PrivKey
	id     peer.ID
	h      host.Host // nil until Start
	gater  *conngater.BasicConnectionGater
	ps     *pubsub.PubSub
	blocks *pubsub.Topic
	txs    *pubsub.Topic
	chain  *blockchain.Chain
	imp    *blockchain.Importer
	pool   *mempool.Mempool
	log    *slog.Logger

	protoStatus, protoHeaders, protoBodies, protoTxAnn, protoTxGet protocol.ID

	txr *txRelay // txann.go

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	// Lock order: startMu, then life. startMu is held by a whole Start
	// and a whole Close, so Close never sees a half-built host; life
	// guards the flags spawn reads.
	startMu sync.Mutex
	life    sync.Mutex
	started bool
	closing bool

	// Per-peer state (peerstate.go): the first four are pruned when a
	// peer disconnects, records is bounded.
	mu      sync.Mutex
	peers   map[peer.ID]*statusMsg // each connected peer's last status
	scores  map[peer.ID]float64    // GossipSub's scores of connected peers
	serving map[peer.ID]*servant   // serving budget of each connected peer
	asking  map[peer.ID]bool       // a status exchange with it is running
	records *peerRecords           // strikes and benching, kept across reconnects

	// statusSlots bounds the status exchanges running at once.
	statusSlots chan struct{}

	sync     syncState
	syncLock sync.Mutex // one sync at a time
	progress atomic.Pointer[SyncProgress]
	txOut    chan []byte
}

// PeerInfo is a connected peer, for GET /v1/peers.
type PeerInfo struct {
	ID        string      `json:"peer_id"`
	Addrs     []string    `json:"addrs"`
	Direction string      `json:"direction"`
	Head      common.Hash `json:"head"`
	Height    uint64      `json:"height"`
	Score     float64     `json:"score"`
}

// New checks cfg and loads (or makes) the identity key; it starts no
// goroutine and does not listen (Start does).
func New(cfg Config) (*Network, error) {
	if len(cfg.Listen) == 0 {
		cfg.Listen = DefaultListen
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.VerdictWait <= 0 {
		cfg.VerdictWait = DefaultVerdictWait
	}
	if cfg.Chain == nil || cfg.Importer == nil {
		return nil, errors.New("gossip: Config.Chain and Config.Importer are required")
	}
	gater, err := conngater.NewBasicConnectionGater(nil)
	if err != nil {
		return nil, err
	}
	key, err := loadIdentity(cfg.DataDir, cfg.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("p2p host: %w", err)
	}
	pid, err := peer.IDFromPrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("p2p host: %w", err)
	}
	id := cfg.Chain.Genesis().ChainID
	ctx, cancel := context.WithCancel(context.Background())
	return &Network{
		cfg: cfg, key: key, id: pid, gater: gater, chain: cfg.Chain, imp: cfg.Importer, pool: cfg.Mempool, log: cfg.Logger,
		protoStatus:  protocol.ID(fmt.Sprintf("/tinychain/%d/status/1", id)),
		protoHeaders: protocol.ID(fmt.Sprintf("/tinychain/%d/headers/1", id)),
		protoBodies:  protocol.ID(fmt.Sprintf("/tinychain/%d/bodies/1", id)),
		protoTxAnn:   protocol.ID(fmt.Sprintf("/tinychain/%d/txannounce/1", id)),
		protoTxGet:   protocol.ID(fmt.Sprintf("/tinychain/%d/txrequest/1", id)),
		ctx:          ctx, cancel: cancel,
		peers: map[peer.ID]*statusMsg{}, scores: map[peer.ID]float64{}, serving: map[peer.ID]*servant{},
		asking: map[peer.ID]bool{}, records: newPeerRecords(),
		statusSlots: make(chan struct{}, maxStatusExchanges),
		txOut:       make(chan []byte, 1024),
	}, nil
}

// Start makes the host and listens, joins the topics, registers the
// protocols and runs discovery, relaying and the sync loop. Only once.
func (n *Network) Start() error {
	n.startMu.Lock()
	defer n.startMu.Unlock()
	n.life.Lock()
	closing, started := n.closing, n.started
	n.started = true
	n.life.Unlock()
	switch {
	case closing:
		return fmt.Errorf("p2p network: start after close: %w", blockchain.ErrStopped)
	case started:
		return fmt.Errorf("p2p network: %w", blockchain.ErrStarted)
	}
	h, err := newHost(n.key, n.cfg.Listen, n.gater, n.cfg.Metrics)
	if err != nil {
		return fmt.Errorf("p2p host: %w", err)
	}
	n.h = h
	if err := n.joinTopics(); err != nil {
		return err
	}
	h.SetStreamHandler(n.protoStatus, n.handleStatus)
	h.SetStreamHandler(n.protoHeaders, n.handleHeaders)
	h.SetStreamHandler(n.protoBodies, n.handleBodies)
	n.initTxRelay()
	n.initProofs() // proof.go
	h.Network().Notify(&network.NotifyBundle{
		ConnectedF: func(_ network.Network, c network.Conn) {
			n.spawn(func() {
				n.exchangeStatus(c.RemotePeer())
				if n.pool != nil {
					n.announcePending(c.RemotePeer()) // what it may have missed, by hash
				}
			})
		},
		DisconnectedF: func(net network.Network, c network.Conn) {
			p := c.RemotePeer()
			if net.Connectedness(p) == network.Connected {
				return // another connection to it remains
			}
			if n.forget(p) {
				n.log.Info("peer left", "peer", p)
			}
		},
	})
	// Publishing our own blocks and announcing returned txs run as a
	// head listener: on a goroutine of their own, off the importer's.
	n.imp.Subscribe(n.onHead)
	if n.pool != nil {
		n.pool.OnAdd(func(tx *txT) {
			select {
			case n.txOut <- tx.Encode():
			default: // relay queue full: the tx stays in our mempool and is mined here
			}
		})
	}
	n.spawn(n.publishTxs)
	n.spawn(n.resyncLoop)
	n.spawn(n.announceLoop)
	if err := n.startDiscovery(); err != nil {
		return err
	}
	n.log.Info("p2p started", "peer_id", n.id, "addrs", n.ListenAddrs())
	return nil
}

// spawn runs f on a goroutine of the network's (waited for by Close),
// unless Close has begun; it reports whether it did.
func (n *Network) spawn(f func()) bool {
	n.life.Lock()
	defer n.life.Unlock()
	if n.closing {
		return false
	}
	n.wg.Go(f)
	return true
}

// Close stops the network and waits for its goroutines. Safe to call
// twice, and before Start.
func (n *Network) Close() error {
	n.startMu.Lock()
	defer n.startMu.Unlock()
	n.life.Lock()
	already := n.closing
	n.closing = true
	n.life.Unlock()
	if already {
		n.wg.Wait()
		return nil
	}
	n.cancel()
	var err error
	if n.h != nil {
		err = n.h.Close()
	}
	n.wg.Wait()
	return err
}

// PeerID returns the host's peer ID (known from New).
func (n *Network) PeerID() string { return n.id.String() }

// ListenAddrs returns the host's addresses with its peer ID (none before
// Start). Like Peers and PeerCount, it may be called once Start returned.
func (n *Network) ListenAddrs() []string {
	if n.h == nil {
		return nil
	}
	var out []string
	for _, a := range n.h.Addrs() {
		out = append(out, a.String()+"/p2p/"+n.h.ID().String())
	}
	return out
}

// Peers returns the connected peers with what they told us of their head.
func (n *Network) Peers() []PeerInfo {
	if n.h == nil {
		return nil
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []PeerInfo
	for _, p := range n.h.Network().Peers() {
		info := PeerInfo{ID: p.String(), Score: n.scores[p], Direction: "unknown"}
		for _, a := range n.h.Peerstore().Addrs(p) {
			info.Addrs = append(info.Addrs, a.String())
		}
		if conns := n.h.Network().ConnsToPeer(p); len(conns) > 0 {
			info.Direction = conns[0].Stat().Direction.String()
		}
		if st := n.peers[p]; st != nil {
			info.Head, info.Height = st.Head, st.Height
		}
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// peerAddr is the remote address of a connection to p, for logs.
func (n *Network) peerAddr(p peer.ID) string {
	if conns := n.h.Network().ConnsToPeer(p); len(conns) > 0 {
		return conns[0].RemoteMultiaddr().String()
	}
	return ""
}

// PeerCount returns the number of connected peers.
func (n *Network) PeerCount() int {
	if n.h == nil {
		return 0
	}
	return len(n.h.Network().Peers())
}

// claimsAhead reports whether st claims more work than our head. A claim
// only makes us ask the peer for headers: we believe it is ahead once its
// headers, checked, carry more work (sync.go).
func (n *Network) claimsAhead(st *statusMsg) bool {
	return new(big.Int).SetBytes(st.Work).Cmp(n.chain.Head().TotalWork) > 0
}

// resyncEvery is how often every peer's status is asked again: the
// fallback that finds blocks gossip did not bring.
const resyncEvery = 5 * time.Second

// resyncLoop asks every peer's status now and then, all at once (a peer
// that stalls its answer holds up no other), and syncs from a peer ahead.
func (n *Network) resyncLoop() {
	t := time.NewTicker(resyncEvery)
	defer t.Stop()
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-t.C:
			for _, p := range n.h.Network().Peers() {
				n.askStatus(p)
			}
		}
	}
}
