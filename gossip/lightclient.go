package gossip

import (
	"context"
	"fmt"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	"github.com/libp2p/go-libp2p/p2p/net/conngater"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/proto"
)

// What a client of the network that is not a full node (package light's
// header-only node) needs from this package: a host built as a full
// node's is, and the block topic's headers.

// ClientConfig configures a client host.
type ClientConfig struct {
	DataDir string   // holds p2p.key (created on first start)
	KeyFile string   // the identity key instead of DataDir/p2p.key; must exist
	Listen  []string // multiaddrs; none: DefaultListen
	// Metrics, if set, takes libp2p's Prometheus collectors.
	Metrics prometheus.Registerer
}

// NewClientHost builds and starts a libp2p host the way Network.Start
// does (identity from the data dir, TCP and QUIC, Noise, yamux, the same
// connection and resource limits) and returns it with its connection
// gater, by which the caller bans peers. The caller closes the host.
func NewClientHost(cfg ClientConfig) (host.Host, *conngater.BasicConnectionGater, error) {
	if len(cfg.Listen) == 0 {
		cfg.Listen = DefaultListen
	}
	gater, err := conngater.NewBasicConnectionGater(nil)
	if err != nil {
		return nil, nil, err
	}
	key, err := loadIdentity(cfg.DataDir, cfg.KeyFile)
	if err != nil {
		return nil, nil, fmt.Errorf("p2p host: %w", err)
	}
	h, err := newHost(key, cfg.Listen, gater, cfg.Metrics)
	if err != nil {
		return nil, nil, fmt.Errorf("p2p host: %w", err)
	}
	return h, gater, nil
}

// HeadersProtocol is the headers protocol's id on chain chainID.
func HeadersProtocol(chainID uint64) protocol.ID {
	return protocol.ID(fmt.Sprintf("/tinychain/%d/headers/1", chainID))
}

// BlocksTopic is the block topic's name on chain chainID.
func BlocksTopic(chainID uint64) string { return fmt.Sprintf("/tinychain/%d/blocks/1", chainID) }

// SubscribeHeaders runs GossipSub on h with the full nodes' message ids
// and mesh parameters, joins g's block topic and calls onHeader with each
// block message's header and the peer that forwarded it, on GossipSub's
// validation goroutines (onHeader must not block for long). Nothing is
// relayed: a header-only node cannot check a body, so every message is
// ignored after onHeader has seen it, unless it is larger than a block
// may be or does not decode (rejected: GossipSub's score of its sender
// falls), or onHeader returns an error that chain.IsPeerFault calls the
// sender's (rejected too). GossipSub stops when ctx ends. The caller
// drains the subscription (its Next returns no message, only ctx's end)
// on a goroutine it waits for.
func SubscribeHeaders(ctx context.Context, h host.Host, g *chain.Genesis, onHeader func(from peer.ID, hdr *proto.Header) error) (*pubsub.Subscription, error) {
	topic := BlocksTopic(g.ChainID)
	ps, err := pubsub.NewGossipSub(ctx, h,
		pubsub.WithMessageSignaturePolicy(pubsub.StrictNoSign),
		pubsub.WithNoAuthor(),
		pubsub.WithMessageIdFn(messageID(topic)),
		pubsub.WithMaxMessageSize(g.MaxBlockBytes+4096),
		pubsub.WithGossipSubParams(gossipParams()),
	)
	if err != nil {
		return nil, fmt.Errorf("gossipsub: %w", err)
	}
	validate := func(_ context.Context, from peer.ID, m *pubsub.Message) pubsub.ValidationResult {
		if len(m.Data) > g.MaxBlockBytes {
			return pubsub.ValidationReject
		}
		b, err := proto.DecodeBlock(m.Data)
		if err != nil {
			return pubsub.ValidationReject
		}
		if err := onHeader(from, &b.Header); err != nil && chain.IsPeerFault(err) {
			return pubsub.ValidationReject
		}
		return pubsub.ValidationIgnore
	}
	if err := ps.RegisterTopicValidator(topic, validate, pubsub.WithValidatorTimeout(10*time.Second)); err != nil {
		return nil, err
	}
	t, err := ps.Join(topic)
	if err != nil {
		return nil, err
	}
	return t.Subscribe()
}
