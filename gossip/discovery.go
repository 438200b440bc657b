package gossip

import (
	"fmt"
	"time"

	dht "github.com/libp2p/go-libp2p-kad-dht"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	"github.com/libp2p/go-libp2p/p2p/discovery/mdns"
	drouting "github.com/libp2p/go-libp2p/p2p/discovery/routing"
	dutil "github.com/libp2p/go-libp2p/p2p/discovery/util"
	ma "github.com/multiformats/go-multiaddr"
)

// startDiscovery dials the bootstrap peers (and redials them when lost)
// and, if asked, finds peers on the local network with mDNS.
func (n *Network) startDiscovery() error {
	var boot []peer.AddrInfo
	for _, s := range n.cfg.Bootstrap {
		addr, err := ma.NewMultiaddr(s)
		if err != nil {
			return fmt.Errorf("bootstrap %q: %w", s, err)
		}
		info, err := peer.AddrInfoFromP2pAddr(addr)
		if err != nil {
			return fmt.Errorf("bootstrap %q: %w (want .../p2p/<peer id>)", s, err)
		}
		boot = append(boot, *info)
	}
	if len(boot) > 0 {
		n.spawn(func() {
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
				case <-time.After(10 * time.Second):
				}
			}
		})
	}
	if n.cfg.DHT {
		if err := n.startDHT(boot); err != nil {
			return err
		}
	}
	if n.cfg.MDNS {
		svc := mdns.NewMdnsService(n.h, fmt.Sprintf("tinychain-%d", n.chain.Genesis().ChainID), n)
		if err := svc.Start(); err != nil {
			return fmt.Errorf("mdns: %w", err)
		}
		if !n.spawn(func() { <-n.ctx.Done(); svc.Close() }) {
			svc.Close()
		}
	}
	return nil
}

// HandlePeerFound connects to a peer found by mDNS.
func (n *Network) HandlePeerFound(info peer.AddrInfo) {
	if info.ID == n.h.ID() {
		return
	}
	n.spawn(func() {
		if err := n.h.Connect(n.ctx, info); err != nil {
			n.log.Debug("mdns dial", "peer", info.ID, "err", err)
		}
	})
}

// Connect dials a peer given as a multiaddr with /p2p/<id>.
func (n *Network) Connect(addr string) error {
	a, err := ma.NewMultiaddr(addr)
	if err != nil {
		return err
	}
	info, err := peer.AddrInfoFromP2pAddr(a)
	if err != nil {
		return err
	}
	return n.h.Connect(n.ctx, *info)
}

// Disconnect closes every connection to the peer with the given ID.
func (n *Network) Disconnect(id string) error {
	p, err := peer.Decode(id)
	if err != nil {
		return err
	}
	return n.h.Network().ClosePeer(p)
}

// dhtInterval is how often the DHT is asked for more peers.
const dhtInterval = 5 * time.Second

// startDHT runs a Kademlia DHT in the chain's own namespace (its protocol
// prefix is /tinychain/<chain_id>, so it never mixes with the IPFS DHT),
// advertises this node under the chain's rendezvous and dials the peers
// found there.
func (n *Network) startDHT(boot []peer.AddrInfo) error {
	id := n.chain.Genesis().ChainID
	kad, err := dht.New(n.h, dht.Mode(dht.ModeServer),
		dht.ProtocolPrefix(protocol.ID(fmt.Sprintf("/tinychain/%d", id))), dht.BootstrapPeers(boot...))
	if err != nil {
		return fmt.Errorf("dht: %w", err)
	}
	if err := kad.Bootstrap(n.ctx); err != nil {
		return fmt.Errorf("dht bootstrap: %w", err)
	}
	rd := drouting.NewRoutingDiscovery(kad)
	ns := fmt.Sprintf("tinychain/%d", id)
	dutil.Advertise(n.ctx, rd, ns) // re-advertises in the background until ctx ends
	started := n.spawn(func() {
		defer kad.Close()
		for {
			if peers, err := rd.FindPeers(n.ctx, ns); err == nil {
				for p := range peers {
					if p.ID != n.h.ID() && len(p.Addrs) > 0 && len(n.h.Network().ConnsToPeer(p.ID)) == 0 {
						n.h.Connect(n.ctx, p)
					}
				}
			}
			select {
			case <-n.ctx.Done():
				return
			case <-time.After(dhtInterval):
			}
		}
	})
	if !started {
		kad.Close()
	}
	return nil
}
