package chain

import (
	"errors"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/syndtr/goleveldb/leveldb"
	"github.com/tinychain/tinychain/proto"
)

// ErrNotFound is returned by queries for what the chain does not hold.
var ErrNotFound = errors.New("not found")

// BlockInfo is a block header with where it stands in the index.
type BlockInfo struct {
	Hash      common.Hash
	Header    proto.Header
	TotalWork *big.Int
	Status    string // stored | valid | invalid | invalid-ancestor
	Main      bool   // on the main chain
}

func (c *Chain) info(n *blockNode) *BlockInfo {
	return &BlockInfo{
		Hash: n.hash, Header: n.header, TotalWork: new(big.Int).Set(n.work),
		Status: n.status.String(), Main: c.onMain(n),
	}
}

// onMain reports whether n is on the main chain. MUST hold the chain lock.
func (c *Chain) onMain(n *blockNode) bool {
	return n.height() < uint64(len(c.main)) && c.main[n.height()] == n
}

// Genesis returns the chain's genesis parameters.
func (c *Chain) Genesis() *Genesis { return c.g }

// GenesisHash returns the hash of the genesis block.
func (c *Chain) GenesisHash() common.Hash { return c.genesis.hash }

// Head returns the head block's info.
func (c *Chain) Head() *BlockInfo {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.info(c.head)
}

// HeaderByHash returns the info of any indexed block.
func (c *Chain) HeaderByHash(h common.Hash) (*BlockInfo, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	n := c.index[h]
	if n == nil {
		return nil, ErrNotFound
	}
	return c.info(n), nil
}

// HeaderContext returns the context that a child of the indexed block h
// is checked against (CheckHeaderOnly), and h's info: where headers-first
// sync starts checking a peer's headers. A block known invalid is
// ErrInvalidAncestor for its children.
func (c *Chain) HeaderContext(h common.Hash) (HeaderContext, *BlockInfo, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	n := c.index[h]
	if n == nil {
		return HeaderContext{}, nil, ErrNotFound
	}
	if n.status.invalid() {
		return HeaderContext{}, nil, ruleErr(ErrInvalidAncestor, "block %s is %s", h, n.status)
	}
	ctx := n.headerContext()
	hdr := *ctx.Parent // a copy: the index's header is the chain's
	ctx.Parent = &hdr
	return ctx, c.info(n), nil
}

// HeadersAfter returns up to max headers of the main chain after height
// from (from+1, from+2, ...): what sync serves to a peer behind.
func (c *Chain) HeadersAfter(from uint64, max int) []proto.Header {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []proto.Header
	for h := from + 1; h < uint64(len(c.main)) && len(out) < max; h++ {
		out = append(out, c.main[h].header)
	}
	return out
}

// HashAt returns the hash of the main-chain block at height.
func (c *Chain) HashAt(height uint64) (common.Hash, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if height >= uint64(len(c.main)) {
		return common.Hash{}, ErrNotFound
	}
	return c.main[height].hash, nil
}

// Block returns the block with hash h, if its data is held.
func (c *Chain) Block(h common.Hash) (*proto.Block, error) {
	enc, err := c.BlockBytes(h)
	if err != nil {
		return nil, err
	}
	return proto.DecodeBlock(enc)
}

// BlockBytes returns the encoding of the block with hash h as stored, if
// its data is held: what sync serves, without decoding and encoding it
// again.
func (c *Chain) BlockBytes(h common.Hash) ([]byte, error) {
	c.mu.RLock()
	n := c.index[h]
	c.mu.RUnlock()
	if n == nil || n.status.invalid() {
		return nil, ErrNotFound
	}
	enc, err := c.db.Get(blockKey(h), nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return nil, ErrNotFound
	}
	return enc, err
}

// Receipts returns the receipts of a main-chain block.
func (c *Chain) Receipts(h common.Hash) ([]*proto.Receipt, error) {
	var rs []*proto.Receipt
	found, err := storeGet(c.db, receiptsKey(h), &rs)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, ErrNotFound
	}
	return rs, nil
}

// TxResult is a main-chain transaction with where it is and its receipt.
type TxResult struct {
	Tx       *proto.Tx
	Block    common.Hash
	Height   uint64
	Index    int
	Receipt  *proto.Receipt
	Sender   common.Address
	Contract *common.Address // for a deploy: the contract's address
}

// Tx looks a transaction up in the main chain.
func (c *Chain) Tx(h common.Hash) (*TxResult, error) {
	snap, err := c.db.GetSnapshot()
	if err != nil {
		return nil, err
	}
	defer snap.Release()
	var loc TxLocation
	found, err := storeGet(snap, txKey(h), &loc)
	if err != nil || !found {
		return nil, errors.Join(ErrNotFound, err)
	}
	enc, err := snap.Get(blockKey(loc.Block), nil)
	if err != nil {
		return nil, err
	}
	b, err := proto.DecodeBlock(enc)
	if err != nil {
		return nil, err
	}
	var rs []*proto.Receipt
	if _, err := storeGet(snap, receiptsKey(loc.Block), &rs); err != nil {
		return nil, err
	}
	if int(loc.Index) >= len(b.Txs) || int(loc.Index) >= len(rs) {
		return nil, errors.New("tx index entry does not match its block")
	}
	tx := b.Txs[loc.Index]
	from, err := Sender(tx)
	if err != nil {
		return nil, err
	}
	res := &TxResult{Tx: tx, Block: loc.Block, Height: b.Header.Height, Index: int(loc.Index),
		Receipt: rs[loc.Index], Sender: from}
	if tx.Kind == proto.KindDeploy && res.Receipt.Status == proto.StatusOK {
		addr := crypto.CreateAddress(from, tx.Nonce)
		res.Contract = &addr
	}
	return res, nil
}

// Account returns the account at a in the head state.
func (c *Chain) Account(a common.Address) (proto.Account, error) {
	return NewState(c.db).Account(a)
}

// StateView returns a view of the head state that later blocks do not
// change, and the head it belongs to. Call release when done.
func (c *Chain) StateView() (st *State, head *BlockInfo, release func(), err error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	snap, err := c.db.GetSnapshot()
	if err != nil {
		return nil, nil, nil, err
	}
	return c.newState(snap), c.info(c.head), snap.Release, nil
}

// Template is what a miner needs to build on the head.
type Template struct {
	Parent  proto.Header
	Hash    common.Hash
	Target  *big.Int
	MinTime uint64 // the timestamp must be at least this
	State   *State
	release func()
}

// Release frees the template's state view.
func (t *Template) Release() { t.release() }

// NewTemplate returns the context for a block on top of the current head.
func (c *Chain) NewTemplate() (*Template, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	snap, err := c.db.GetSnapshot()
	if err != nil {
		return nil, err
	}
	ctx := c.head.headerContext()
	return &Template{
		Parent: c.head.header, Hash: c.head.hash,
		Target:  NextTarget(c.g, &c.head.header, ctx.AnchorTime),
		MinTime: MedianTime(ctx.PrevTimes) + 1,
		State:   c.newState(snap), release: snap.Release,
	}, nil
}

// OrphanRoots returns the unknown parents that orphans wait for.
func (c *Chain) OrphanRoots() []common.Hash {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.orphans.roots()
}

// Locator returns hashes of main-chain blocks going back from the head:
// the last 10 one by one, then exponentially further apart, ending with
// the genesis (Bitcoin's block locator), for finding a fork point.
func (c *Chain) Locator() []common.Hash {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []common.Hash
	step := uint64(1)
	for h := c.head.height(); ; {
		out = append(out, c.main[h].hash)
		if h == 0 {
			return out
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
}

// Code returns the code of the contract at a in the head state.
func (c *Chain) Code(a common.Address) ([]byte, error) {
	return NewState(c.db).Code(a)
}

// Tape returns the compact tape of a in the head state.
func (c *Chain) Tape(a common.Address) ([]byte, error) {
	return NewState(c.db).Tape(a)
}
