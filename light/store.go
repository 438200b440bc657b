package light

import (
	"errors"
	"fmt"
	"math/big"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/chain/blockchain"
	"github.com/tinychain/tinychain/chain/store"
	"github.com/tinychain/tinychain/proto"
)

// Errors of Add.
var (
	ErrUnknownParent = errors.New("header's parent unknown")
	ErrKnown         = errors.New("header known")
)

// LevelDB layout: h<hash> the header's record, t the best tip's hash.
var (
	prefixHeader = []byte("h")
	keyTip       = []byte("t")
)

// record is a stored header with its cumulative work.
type record struct {
	Header []byte // canonical encoding
	Work   []byte // big-endian cumulative work
}

// node is the in-memory trace of one header.
type node struct {
	hash      common.Hash
	parent    *node
	height    uint64
	timestamp uint64
	anchor    uint64 // the timestamp of block 1 on this header's branch (ASERT's anchor)
	work      *big.Int
}

// Store is a header tree with heaviest-work fork choice. It is safe for
// concurrent use.
type Store struct {
	g  *chain.Genesis
	db *store.DB

	askTimeout atomic.Int64 // ns: the wait for one full node's proof

	mu    sync.RWMutex
	index map[common.Hash]*node
	tip   *node
	main  []*node // the best chain by height
}

// Open opens (or creates) the header store of g in dir.
func Open(dir string, g *chain.Genesis) (*Store, error) {
	gen, err := blockchain.GenesisBlock(g)
	if err != nil {
		return nil, err
	}
	db, err := store.Open(dir)
	if err != nil {
		return nil, err
	}
	s := &Store{g: g, db: db, index: map[common.Hash]*node{}}
	s.askTimeout.Store(int64(DefaultProofTimeout))
	if err := s.load(&gen.Header); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// SetProofTimeout sets how long Account, ProveAccount and ProveTx wait
// for one full node's proof before they ask the next (default
// DefaultProofTimeout).
func (s *Store) SetProofTimeout(d time.Duration) {
	if d > 0 {
		s.askTimeout.Store(int64(d))
	}
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// load rebuilds the index from the stored records, lowest height first.
func (s *Store) load(genesis *proto.Header) error {
	root := &node{hash: genesis.Hash(), work: chain.CalcWork(genesis.TargetBig()), timestamp: genesis.Timestamp}
	s.index[root.hash] = root
	var hs []*proto.Header
	works := map[common.Hash]*big.Int{}
	it := s.db.Iterator(prefixHeader, nil)
	for it.Next() {
		var rec record
		if err := rlp.DecodeBytes(it.Value(), &rec); err != nil {
			it.Release()
			return fmt.Errorf("stored header %x: %w", it.Key(), err)
		}
		h, err := proto.DecodeHeader(rec.Header)
		if err != nil {
			it.Release()
			return err
		}
		hs = append(hs, h)
		works[h.Hash()] = new(big.Int).SetBytes(rec.Work)
	}
	it.Release()
	if err := it.Error(); err != nil {
		return err
	}
	sort.Slice(hs, func(i, j int) bool { return hs[i].Height < hs[j].Height })
	for _, h := range hs {
		parent := s.index[h.PrevHash]
		if parent == nil {
			continue // a branch whose parent was never stored: dropped
		}
		n := s.child(parent, h)
		n.work = works[n.hash]
		s.index[n.hash] = n
	}
	s.tip = root
	if b, found, err := s.db.Get(keyTip); err == nil && found && s.index[common.BytesToHash(b)] != nil {
		s.tip = s.index[common.BytesToHash(b)]
	}
	s.setMain(s.tip)
	return nil
}

// child returns the node of h under parent (work not set).
func (s *Store) child(parent *node, h *proto.Header) *node {
	n := &node{hash: h.Hash(), parent: parent, height: h.Height, timestamp: h.Timestamp, anchor: parent.anchor}
	if h.Height == 1 {
		n.anchor = h.Timestamp
	}
	return n
}

// setMain makes the best chain end at tip. MUST hold mu (or be loading).
func (s *Store) setMain(tip *node) {
	main := make([]*node, tip.height+1)
	for n := tip; n != nil; n = n.parent {
		main[n.height] = n
	}
	s.main = main
}
