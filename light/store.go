package light

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/holiman/uint256"
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
	// work is the cumulative work, held inline (a *big.Int was two more
	// allocations per header: a third of the store's memory). It saturates
	// at 2^256-1, which no chain reaches (2^256 expected hashes).
	work uint256.Int
}

// index finds a node by its hash. Most nodes are keyed by their hash's
// first 8 bytes (a map entry of 16 bytes, not 40: 100,000 headers take
// ~3 MB less); a node whose prefix another node holds goes to the
// overflow map under its whole hash, so a lookup is always exact.
type index struct {
	byPrefix map[uint64]*node
	overflow map[common.Hash]*node
}

func newIndex() index {
	return index{byPrefix: map[uint64]*node{}, overflow: map[common.Hash]*node{}}
}

func prefix(h common.Hash) uint64 { return binary.BigEndian.Uint64(h[:8]) }

// get returns the node of h, nil if none.
func (x index) get(h common.Hash) *node {
	if n := x.byPrefix[prefix(h)]; n != nil && n.hash == h {
		return n
	}
	return x.overflow[h]
}

// put adds n, whose hash is not in x yet.
func (x index) put(n *node) {
	if p := prefix(n.hash); x.byPrefix[p] == nil {
		x.byPrefix[p] = n
	} else {
		x.overflow[n.hash] = n
	}
}

// len returns the number of nodes.
func (x index) len() int { return len(x.byPrefix) + len(x.overflow) }

// addWork returns parent's cumulative work plus the work of target.
func addWork(parent *uint256.Int, target *big.Int) uint256.Int {
	var w uint256.Int
	if w.SetFromBig(chain.CalcWork(target)) {
		return *w.SetAllOne()
	}
	if _, overflow := w.AddOverflow(&w, parent); overflow {
		w.SetAllOne()
	}
	return w
}

// Store is a header tree with heaviest-work fork choice. It is safe for
// concurrent use.
type Store struct {
	g  *chain.Genesis
	db *store.DB

	askTimeout atomic.Int64 // ns: the wait for one full node's proof

	mu    sync.RWMutex
	index index
	tip   *node
	main  []*node // the best chain by height
}

// Open opens (or creates) the header store of g in dir.
func Open(dir string, g *chain.Genesis) (*Store, error) {
	gen, err := blockchain.GenesisBlock(g)
	if err != nil {
		return nil, err
	}
	db, err := store.OpenSmall(dir)
	if err != nil {
		return nil, err
	}
	s := &Store{g: g, db: db, index: newIndex()}
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

// stub is what load keeps of a stored header until it links it.
type stub struct {
	hash, prev        common.Hash
	height, timestamp uint64
	work              uint256.Int
}

// load rebuilds the index from the stored records, lowest height first.
// It holds a stub of each record (not the header) while it sorts them.
func (s *Store) load(genesis *proto.Header) error {
	root := &node{hash: genesis.Hash(), timestamp: genesis.Timestamp}
	root.work = addWork(new(uint256.Int), genesis.TargetBig())
	s.index.put(root)
	var hs []stub
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
		st := stub{hash: h.Hash(), prev: h.PrevHash, height: h.Height, timestamp: h.Timestamp}
		if len(rec.Work) > 32 {
			st.work.SetAllOne()
		} else {
			st.work.SetBytes(rec.Work)
		}
		hs = append(hs, st)
	}
	it.Release()
	if err := it.Error(); err != nil {
		return err
	}
	sort.Slice(hs, func(i, j int) bool { return hs[i].height < hs[j].height })
	for i := range hs {
		st := &hs[i]
		parent := s.index.get(st.prev)
		if parent == nil {
			continue // a branch whose parent was never stored: dropped
		}
		n := &node{hash: st.hash, parent: parent, height: st.height, timestamp: st.timestamp, anchor: parent.anchor, work: st.work}
		if st.height == 1 {
			n.anchor = st.timestamp
		}
		s.index.put(n)
	}
	s.tip = root
	if b, found, err := s.db.Get(keyTip); err == nil && found && s.index.get(common.BytesToHash(b)) != nil {
		s.tip = s.index.get(common.BytesToHash(b))
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
