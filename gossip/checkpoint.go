package gossip

import (
	"math/big"

	"github.com/tinychain/tinychain/proto"
)

// Checkpoints and minimum chain work in sync (genesis "checkpoints" and
// "min_chain_work", chain/checkpoint.go; docs/PROTOCOL.md 6.2): a header
// that contradicts a checkpoint, or a branch forking below one our chain
// passed, is the peer's fault; while our head's work is below
// min_chain_work we are in the initial block download (IBD): Syncing is
// true, gossiped blocks only make us sync from their sender, and bodies
// are downloaded only for a branch whose checked headers reach
// min_chain_work. So a first peer that serves a long cheap chain of its
// own gets no body asked for, whatever it claims.

// inIBD reports whether our head's work is below min_chain_work.
func (n *Network) inIBD() bool {
	return n.chain.Head().TotalWork.Cmp(n.chain.Genesis().MinWork()) < 0
}

// beatWork is the work a branch's checked headers must exceed for its
// bodies to be downloaded: our head's, and in IBD min_chain_work less
// one (reaching it is enough).
func (n *Network) beatWork() *big.Int {
	w := n.chain.Head().TotalWork
	if min := new(big.Int).Sub(n.chain.Genesis().MinWork(), big.NewInt(1)); min.Cmp(w) > 0 {
		return min
	}
	return w
}

// checkSyncedHeader checks a peer's header, which passed CheckHeaderOnly,
// against the checkpoints.
func (n *Network) checkSyncedHeader(h *proto.Header, hash [32]byte) error {
	return n.chain.Genesis().CheckCheckpoint(h.Height, hash)
}
