package gossip

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/tinychain/tinychain/proto"
)

// Headers-first sync: the hashes of the blocks to fetch come from one peer
// (by locator); their bodies come from every peer that is ahead, a chunk
// at a time, several at once. A chunk that times out or comes back wrong
// goes to another peer, and the peer that failed is left out of the rest
// of the round (a staller does not hold the sync up).

const (
	maxHashes    = 2048 // hashes per reply
	chunkSize    = 64   // blocks per body request
	chunkTimeout = 10 * time.Second
)

type hashesReq struct {
	Locator []common.Hash
	Max     uint32
}

type bodiesReq struct {
	Hashes []common.Hash
}

// handleHashes answers a locator with up to maxHashes main-chain hashes
// after the fork point.
func (n *Network) handleHashes(s network.Stream) {
	defer s.Close()
	s.SetDeadline(time.Now().Add(streamTimeout))
	var req hashesReq
	if err := readMsg(bufio.NewReader(s), maxReqSize, &req); err != nil {
		s.Reset()
		return
	}
	from := n.forkPoint(req.Locator)
	var out []common.Hash
	for h := from + 1; len(out) < int(min(req.Max, maxHashes)); h++ {
		hash, err := n.chain.HashAt(h)
		if err != nil {
			break
		}
		out = append(out, hash)
	}
	writeMsg(s, out)
}

// forkPoint is the height of the first locator hash on our main chain.
func (n *Network) forkPoint(locator []common.Hash) uint64 {
	for _, h := range locator {
		if info, err := n.chain.HeaderByHash(h); err == nil && info.Main {
			return info.Header.Height
		}
	}
	return 0
}

// handleBodies sends the requested blocks it has, then an empty frame.
func (n *Network) handleBodies(s network.Stream) {
	defer s.Close()
	s.SetDeadline(time.Now().Add(streamTimeout))
	var req bodiesReq
	if err := readMsg(bufio.NewReader(s), 16+chunkSize*(common.HashLength+1), &req); err != nil {
		s.Reset()
		return
	}
	w := bufio.NewWriter(s)
	for _, h := range req.Hashes {
		b, err := n.chain.BlockBytes(h)
		if err != nil {
			break
		}
		if writeFrame(w, b) != nil {
			return
		}
	}
	writeFrame(w, nil)
	w.Flush()
}

// fetchHashes asks p for the hashes after our locator.
func (n *Network) fetchHashes(p peer.ID) ([]common.Hash, error) {
	ctx, cancel := context.WithTimeout(n.ctx, streamTimeout)
	defer cancel()
	s, err := n.h.NewStream(ctx, p, n.protoHashes)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	s.SetDeadline(time.Now().Add(streamTimeout))
	loc := n.chain.Locator()
	if len(loc) > maxLocator {
		loc = append(loc[:maxLocator-1], loc[len(loc)-1])
	}
	if err := writeMsg(s, &hashesReq{Locator: loc, Max: maxHashes}); err != nil {
		return nil, err
	}
	var out []common.Hash
	err = readMsg(bufio.NewReader(s), 16+maxHashes*(common.HashLength+1), &out)
	return out, err
}

// fetchBodies asks p for the blocks with the given hashes; it must answer
// all of them, in order, within chunkTimeout.
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
		return nil, err
	}
	r := bufio.NewReader(s)
	out := make([]*proto.Block, 0, len(hashes))
	for {
		b, err := readFrame(r, n.chain.Genesis().MaxBlockBytes)
		if err != nil {
			return nil, err
		}
		if len(b) == 0 {
			break
		}
		if len(out) == len(hashes) {
			return nil, errors.New("more blocks than asked")
		}
		blk, err := proto.DecodeBlock(b)
		if err != nil {
			n.strike(p, err)
			return nil, err
		}
		if blk.Hash() != hashes[len(out)] {
			return nil, fmt.Errorf("block %d of the reply is not the one asked for", len(out))
		}
		out = append(out, blk)
	}
	if len(out) != len(hashes) {
		return nil, fmt.Errorf("%d of %d blocks", len(out), len(hashes))
	}
	return out, nil
}

// fetchRound downloads the bodies of hashes from peers, several chunks at
// once, and hands each chunk to process in order. It returns how many
// blocks were processed.
func (n *Network) fetchRound(peers []peer.ID, hashes []common.Hash, process func([]*proto.Block) error) (int, error) {
	var chunks [][]common.Hash
	for i := 0; i < len(hashes); i += chunkSize {
		chunks = append(chunks, hashes[i:min(i+chunkSize, len(hashes))])
	}
	type result struct {
		i      int
		blocks []*proto.Block
	}
	todo := make(chan int, len(chunks))
	for i := range chunks {
		todo <- i
	}
	results := make(chan result, len(chunks))
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
				case i := <-todo:
					blocks, err := n.fetchBodies(p, chunks[i])
					if err != nil {
						n.log.Debug("sync: chunk failed, giving it to another peer", "peer", p, "err", err)
						n.bench(p)
						todo <- i
						return
					}
					results <- result{i, blocks}
				}
			}
		}()
	}
	allFailed := make(chan struct{})
	go func() { wg.Wait(); close(allFailed) }()
	pending := map[int][]*proto.Block{}
	done := 0
	for next := 0; next < len(chunks); {
		if b, ok := pending[next]; ok {
			delete(pending, next)
			if err := process(b); err != nil {
				return done, err
			}
			done += len(b)
			next++
			continue
		}
		select {
		case r := <-results:
			pending[r.i] = r.blocks
		case <-allFailed:
			// Every peer failed or left; take what arrived meanwhile.
			select {
			case r := <-results:
				pending[r.i] = r.blocks
				continue
			default:
			}
			return done, errors.New("no peer could serve the blocks")
		}
	}
	return done, nil
}
