package light

import (
	"fmt"

	"github.com/ethereum/go-ethereum/rlp"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/chain/store"
	"github.com/tinychain/tinychain/proto"
)

// Add checks h against its parent exactly as a full node's headers-first
// sync does (chain.CheckHeaderOnly, then the genesis checkpoints) and
// stores it; a header with more work than the best tip becomes the tip.
// nowMs is the clock the future-timestamp rule reads.
func (s *Store) Add(h *proto.Header, nowMs uint64) error {
	hash := h.Hash()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.index.get(hash) != nil {
		return ErrKnown
	}
	parent := s.index.get(h.PrevHash)
	if parent == nil {
		return fmt.Errorf("%w: %s", ErrUnknownParent, h.PrevHash)
	}
	ctx, err := s.context(parent)
	if err != nil {
		return err
	}
	if err := chain.CheckHeaderOnly(h, ctx, s.g, nowMs); err != nil {
		return err
	}
	if err := s.g.CheckCheckpoint(h.Height, hash); err != nil {
		return err
	}
	if parent.height < uint64(len(s.main)) && s.main[parent.height] != parent {
		// A side branch: it must not fork below a checkpoint we passed.
		fork := parent
		for fork.height >= uint64(len(s.main)) || s.main[fork.height] != fork {
			fork = fork.parent
		}
		if err := s.g.CheckForkPoint(fork.height, s.tip.height); err != nil {
			return err
		}
	}
	n := s.child(parent, h)
	n.work = addWork(&parent.work, h.TargetBig())
	batch := new(store.Batch)
	rec, _ := rlp.EncodeToBytes(&record{Header: h.Encode(), Work: n.work.Bytes()})
	batch.Put(append(append([]byte{}, prefixHeader...), hash[:]...), rec)
	better := n.work.Cmp(&s.tip.work) > 0
	if better {
		batch.Put(keyTip, hash[:])
	}
	if err := s.db.Write(batch, false); err != nil {
		return err
	}
	s.index.put(n)
	if better {
		s.tip = n
		if parent == s.main[len(s.main)-1] {
			s.main = append(s.main, n)
		} else {
			s.setMain(n)
		}
	}
	return nil
}

// context is what a child of parent is checked against: its header, the
// timestamps of it and its 10 ancestors, and its branch's anchor.
// MUST hold mu.
func (s *Store) context(parent *node) (chain.HeaderContext, error) {
	hdr, err := s.header(parent)
	if err != nil {
		return chain.HeaderContext{}, err
	}
	ctx := chain.HeaderContext{Parent: hdr, AnchorTime: parent.anchor}
	for p := parent; p != nil && len(ctx.PrevTimes) < 11; p = p.parent {
		ctx.PrevTimes = append(ctx.PrevTimes, p.timestamp)
	}
	return ctx, nil
}

// header reads n's header.
func (s *Store) header(n *node) (*proto.Header, error) {
	if n.parent == nil {
		gen, err := genesisHeader(s.g)
		return gen, err
	}
	var rec record
	b, found, err := s.db.Get(append(append([]byte{}, prefixHeader...), n.hash[:]...))
	if err != nil || !found {
		return nil, fmt.Errorf("header %s: found %v, %v", n.hash, found, err)
	}
	if err := rlp.DecodeBytes(b, &rec); err != nil {
		return nil, err
	}
	return proto.DecodeHeader(rec.Header)
}
