package light

import (
	"errors"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/chain/blockchain"
	"github.com/tinychain/tinychain/proto"
)

func genesisHeader(g *chain.Genesis) (*proto.Header, error) {
	b, err := blockchain.GenesisBlock(g)
	if err != nil {
		return nil, err
	}
	return &b.Header, nil
}

// Tip returns the best tip's hash, height and cumulative work.
func (s *Store) Tip() (common.Hash, uint64, *big.Int) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.tip.hash, s.tip.height, s.tip.work.ToBig()
}

// Len returns the number of headers held, the genesis included.
func (s *Store) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.index.len()
}

// Confirmed returns the header of the best chain with confs blocks on
// top of it (confs 0: the tip), or false if the chain is shorter: the
// header a light client checks proofs against.
func (s *Store) Confirmed(confs uint64) (*proto.Header, bool, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if confs > s.tip.height {
		return nil, false, nil
	}
	h, err := s.header(s.main[s.tip.height-confs])
	return h, err == nil, err
}

// HashAt returns the hash of the best chain's header at height.
func (s *Store) HashAt(height uint64) (common.Hash, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if height >= uint64(len(s.main)) {
		return common.Hash{}, false
	}
	return s.main[height].hash, true
}

// Locator returns the best chain's hashes from the tip back: the last 10
// one by one, then 2, 4, 8, ... apart, the genesis last; at most 64.
func (s *Store) Locator() []common.Hash {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []common.Hash
	step := uint64(1)
	for h := s.tip.height; ; {
		out = append(out, s.main[h].hash)
		if h == 0 || len(out) == 63 {
			break
		}
		if len(out) >= 10 {
			step *= 2
		}
		if h < step {
			h = 0
		} else {
			h -= step
		}
	}
	if out[len(out)-1] != s.main[0].hash {
		out = append(out, s.main[0].hash)
	}
	return out
}

// main0 is the genesis hash.
func (s *Store) main0() common.Hash {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.main[0].hash
}

// ErrNotFound is a header the store does not hold.
var ErrNotFound = errors.New("no such header")

// HeaderByHash returns the header hash names, its cumulative work and
// whether it is on the best chain.
func (s *Store) HeaderByHash(hash common.Hash) (*proto.Header, *big.Int, bool, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := s.index.get(hash)
	if n == nil {
		return nil, nil, false, ErrNotFound
	}
	h, err := s.header(n)
	if err != nil {
		return nil, nil, false, err
	}
	return h, n.work.ToBig(), n.height < uint64(len(s.main)) && s.main[n.height] == n, nil
}

// OnMain reports whether hash is the best chain's header at height.
func (s *Store) OnMain(hash common.Hash, height uint64) bool {
	got, ok := s.HashAt(height)
	return ok && got == hash
}
