package gossip

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/tinychain/tinychain/proto"
)

// Serving and fetching headers and bodies. What we serve is charged to
// the asking peer's budget (peerstate.go); what we fetch is checked
// against headers we checked (sync.go) and bounded before it is read.

// handleHeaders answers a locator with up to maxHeaders main-chain
// headers after the first locator hash on our main chain (none if no
// locator hash is: a peer on our genesis always sends it).
func (n *Network) handleHeaders(s network.Stream) {
	defer s.Close()
	lim, done, ok := n.startServing(s.Conn().RemotePeer())
	if !ok {
		s.Reset()
		return
	}
	defer done()
	s.SetDeadline(time.Now().Add(serveTimeout))
	var req headersReq
	if err := readMsg(bufio.NewReader(s), maxReqSize, &req); err != nil || len(req.Locator) > maxLocator {
		s.Reset()
		return
	}
	var raws []rlp.RawValue
	if from, ok := n.forkPoint(req.Locator); ok {
		for _, h := range n.chain.HeadersAfter(from, int(min(req.Max, maxHeaders))) {
			raws = append(raws, h.Encode())
		}
	}
	b, err := rlp.EncodeToBytes(raws)
	if err != nil {
		s.Reset()
		return
	}
	ctx, cancel := context.WithTimeout(n.ctx, serveWindow)
	defer cancel()
	if lim.WaitN(ctx, len(b)) != nil {
		s.Reset() // over budget: the asker times out and asks another peer
		return
	}
	writeFrame(s, b)
}

// forkPoint is the height of the first locator hash on our main chain.
func (n *Network) forkPoint(locator []common.Hash) (uint64, bool) {
	for _, h := range locator {
		if info, err := n.chain.HeaderByHash(h); err == nil && info.Main {
			return info.Header.Height, true
		}
	}
	return 0, false
}

// handleBodies sends the requested blocks it has, in order, within the
// peer's budget, then an empty frame. It stops early at a block it lacks
// or when the budget would keep the reply waiting past serveWindow.
func (n *Network) handleBodies(s network.Stream) {
	defer s.Close()
	lim, done, ok := n.startServing(s.Conn().RemotePeer())
	if !ok {
		s.Reset()
		return
	}
	defer done()
	s.SetDeadline(time.Now().Add(serveTimeout))
	var req bodiesReq
	if err := readMsg(bufio.NewReader(s), maxBodiesReqSize, &req); err != nil || len(req.Hashes) > chunkSize {
		s.Reset()
		return
	}
	ctx, cancel := context.WithTimeout(n.ctx, serveWindow)
	defer cancel()
	w := bufio.NewWriter(s)
	for _, h := range req.Hashes {
		b, err := n.chain.BlockBytes(h)
		if err != nil || lim.WaitN(ctx, len(b)) != nil {
			break
		}
		if writeFrame(w, b) != nil {
			return
		}
	}
	writeFrame(w, nil)
	w.Flush()
}

// fetchHeaders asks p for the headers after a locator.
func (n *Network) fetchHeaders(p peer.ID, loc []common.Hash) ([]*proto.Header, error) {
	ctx, cancel := context.WithTimeout(n.ctx, headersTimeout)
	defer cancel()
	s, err := n.h.NewStream(ctx, p, n.protoHeaders)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	s.SetDeadline(time.Now().Add(headersTimeout))
	if err := writeMsg(s, &headersReq{Locator: loc, Max: maxHeaders}); err != nil {
		s.Reset()
		return nil, err
	}
	b, err := readFrame(bufio.NewReader(s), maxHeadersReply)
	if err != nil {
		s.Reset()
		if errors.Is(err, errFrameTooLarge) {
			return nil, errPeer{err}
		}
		return nil, err
	}
	hs, err := decodeHeaders(b)
	if err != nil {
		return nil, errPeer{err}
	}
	return hs, nil
}

// fetchBodies asks p for the blocks with the given hashes; it must answer
// a prefix of them (at least one), in order, within chunkTimeout. A body
// that does not decode or whose hash is not the one asked for (that is,
// does not match a header we checked) is a strike.
func (n *Network) fetchBodies(p peer.ID, hashes []common.Hash) ([]*proto.Block, error) {
	ctx, cancel := context.WithTimeout(n.ctx, chunkTimeout)
	defer cancel()
	s, err := n.h.NewStream(ctx, p, n.protoBodies)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	s.SetDeadline(time.Now().Add(chunkTimeout))
	if err := writeMsg(s, &bodiesReq{Hashes: hashes}); err != nil {
		s.Reset()
		return nil, err
	}
	r := bufio.NewReader(s)
	out := make([]*proto.Block, 0, len(hashes))
	for {
		b, err := readFrame(r, n.chain.Genesis().MaxBlockBytes)
		if err != nil {
			s.Reset()
			if errors.Is(err, errFrameTooLarge) {
				n.strike(p, err)
			}
			return nil, err
		}
		if len(b) == 0 {
			break
		}
		if len(out) == len(hashes) {
			err := errors.New("more blocks than asked")
			n.strike(p, err)
			return nil, err
		}
		blk, err := proto.DecodeBlock(b)
		if err != nil {
			n.strike(p, err)
			return nil, err
		}
		if blk.Hash() != hashes[len(out)] {
			err := fmt.Errorf("block %d of the reply is not the one asked for", len(out))
			n.strike(p, err)
			return nil, err
		}
		out = append(out, blk)
	}
	if len(out) == 0 {
		return nil, errors.New("no block of those asked")
	}
	return out, nil
}

// fetchRound downloads the bodies of hashes from peers, one chunk per
// peer at a time, and hands them to process in order with the peer that
// served them. A chunk that fails goes back to the queue and its peer
// leaves the round (benched); one answered in part goes back for the
// rest. It returns how many blocks were processed.
func (n *Network) fetchRound(peers []peer.ID, hashes []common.Hash, process func([]*proto.Block, peer.ID) error) (int, error) {
	type span struct{ lo, hi int } // hashes[lo:hi]
	type result struct {
		lo     int
		blocks []*proto.Block
		from   peer.ID
	}
	// Every queued span holds at least one hash, so len(hashes) slots
	// are enough whatever is split or requeued.
	todo := make(chan span, len(hashes))
	for lo := 0; lo < len(hashes); lo += chunkSize {
		todo <- span{lo, min(lo+chunkSize, len(hashes))}
	}
	results := make(chan result, len(hashes))
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(n.ctx)
	defer cancel()
	for _, p := range peers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-ctx.Done():
					return
				case c := <-todo:
					blocks, err := n.fetchBodies(p, hashes[c.lo:c.hi])
					if err != nil {
						n.log.Debug("sync: chunk failed, giving it to another peer", "peer", p, "err", err)
						n.bench(p)
						todo <- c
						return
					}
					if got := c.lo + len(blocks); got < c.hi {
						todo <- span{got, c.hi}
					}
					results <- result{c.lo, blocks, p}
				}
			}
		}()
	}
	allFailed := make(chan struct{})
	go func() { wg.Wait(); close(allFailed) }()
	pending := map[int]result{}
	for next := 0; next < len(hashes); {
		if r, ok := pending[next]; ok {
			delete(pending, next)
			if err := process(r.blocks, r.from); err != nil {
				return next, err
			}
			next += len(r.blocks)
			continue
		}
		select {
		case r := <-results:
			pending[r.lo] = r
		case <-allFailed:
			// Every peer failed or left; take what arrived meanwhile.
			select {
			case r := <-results:
				pending[r.lo] = r
				continue
			default:
			}
			return next, errors.New("no peer could serve the blocks")
		}
	}
	return len(hashes), nil
}
