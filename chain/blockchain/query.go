package blockchain

import (
	"bytes"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/chain/state"
	"github.com/tinychain/tinychain/chain/store"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/vm"
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
func (c *Chain) Genesis() *chain.Genesis { return c.g }

// Now reads the chain's clock (Config.Now): the mempool and the miner keep
// time by it, so a test's clock drives them too.
func (c *Chain) Now() time.Time { return c.now() }

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
func (c *Chain) HeaderContext(h common.Hash) (chain.HeaderContext, *BlockInfo, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	n := c.index[h]
	if n == nil {
		return chain.HeaderContext{}, nil, ErrNotFound
	}
	if n.status.invalid() {
		return chain.HeaderContext{}, nil, ruleErr(chain.ErrInvalidAncestor, "block %s is %s", h, n.status)
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
	enc, found, err := c.db.Get(blockKey(h))
	if err == nil && !found {
		return nil, ErrNotFound
	}
	return enc, err
}

// Receipts returns the receipts of a main-chain block: one key each under
// the block's prefix, read in index order.
func (c *Chain) Receipts(h common.Hash) ([]*proto.Receipt, error) {
	c.mu.RLock()
	n := c.index[h]
	onMain := n != nil && c.onMain(n)
	snap, err := c.db.Snapshot() // taken under the lock: the block is still connected in it
	c.mu.RUnlock()
	if err != nil {
		return nil, err
	}
	defer snap.Release()
	if !onMain {
		return nil, ErrNotFound
	}
	return readReceipts(snap, h)
}

// readReceipts reads the receipts stored for block h, in index order.
func readReceipts(snap *store.Snapshot, h common.Hash) ([]*proto.Receipt, error) {
	it := snap.Iterator(receiptsPrefix(h), nil)
	defer it.Release()
	var rs []*proto.Receipt
	for it.Next() {
		if want := receiptKey(h, len(rs)); !bytes.Equal(it.Key(), want) {
			return nil, fmt.Errorf("receipts of %s: key %x where %x belongs", h, it.Key(), want)
		}
		r, err := proto.DecodeReceipt(it.Value())
		if err != nil {
			return nil, fmt.Errorf("stored receipt %d of %s: %w", len(rs), h, err)
		}
		rs = append(rs, r)
	}
	return rs, it.Error()
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

// Tx looks a transaction up in the main chain. Its cost is bounded whatever
// the block holds: three reads (its location, its block's stored bytes, at
// most max_block_bytes, and its own receipt, at most 65,536 bytes of output
// and a few more), the decoding of the one tx (at most max_tx_bytes) and
// one signature recovery. It decodes neither the rest of the block nor
// the other receipts.
func (c *Chain) Tx(h common.Hash) (*TxResult, error) {
	snap, err := c.db.Snapshot()
	if err != nil {
		return nil, err
	}
	defer snap.Release()
	return c.lookupTx(snap, h, &blockReads{})
}

// blockReads keeps the block encodings a request has read, so that it
// reads each block once, and counts their bytes for its budget.
type blockReads struct {
	last  common.Hash
	enc   []byte
	bytes int
}

func (r *blockReads) get(snap *store.Snapshot, h common.Hash) ([]byte, error) {
	if r.enc != nil && r.last == h {
		return r.enc, nil
	}
	enc, err := mustGet(snap, blockKey(h))
	if err != nil {
		return nil, err
	}
	r.last, r.enc = h, enc
	r.bytes += len(enc)
	return enc, nil
}

// lookupTx is Tx on snap, reading blocks through reads.
func (c *Chain) lookupTx(snap *store.Snapshot, h common.Hash, reads *blockReads) (*TxResult, error) {
	var loc TxLocation
	found, err := storeGet(snap, txKey(h), &loc)
	if err != nil || !found {
		return nil, errors.Join(ErrNotFound, err)
	}
	c.mu.RLock()
	n := c.index[loc.Block]
	c.mu.RUnlock()
	if n == nil {
		return nil, errors.New("tx index entry names an unknown block")
	}
	enc, err := reads.get(snap, loc.Block)
	if err != nil {
		return nil, err
	}
	end := uint64(loc.Offset) + uint64(loc.Length)
	if end > uint64(len(enc)) {
		return nil, errors.New("tx index entry does not match its block")
	}
	tx, err := proto.DecodeTx(enc[loc.Offset:end])
	if err != nil {
		return nil, fmt.Errorf("tx %s in block %s: %w", h, loc.Block, err)
	}
	if tx.Hash() != h {
		return nil, errors.New("tx index entry does not match its block")
	}
	renc, err := mustGet(snap, receiptKey(loc.Block, int(loc.Index)))
	if err != nil {
		return nil, fmt.Errorf("receipt of tx %s: %w", h, err)
	}
	rcpt, err := proto.DecodeReceipt(renc)
	if err != nil {
		return nil, fmt.Errorf("stored receipt of tx %s: %w", h, err)
	}
	from, err := chain.Sender(tx)
	if err != nil {
		return nil, err
	}
	res := &TxResult{Tx: tx, Block: loc.Block, Height: n.height(), Index: int(loc.Index),
		Receipt: rcpt, Sender: from}
	if tx.Kind == proto.KindDeploy && res.Receipt.Status == proto.StatusOK {
		addr := crypto.CreateAddress(from, tx.Nonce)
		res.Contract = &addr
	}
	return res, nil
}

// Account returns the account at a in the head state.
func (c *Chain) Account(a common.Address) (proto.Account, error) {
	return state.New(c.db).Account(a)
}

// StateView returns a view of the head state that later blocks do not
// change, and the head it belongs to. Call release when done.
func (c *Chain) StateView() (st *state.State, head *BlockInfo, release func(), err error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	snap, err := c.db.Snapshot()
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
	State   *state.State
	release func()
}

// Release frees the template's state view.
func (t *Template) Release() { t.release() }

// NewTemplate returns the context for a block on top of the current head.
func (c *Chain) NewTemplate() (*Template, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	snap, err := c.db.Snapshot()
	if err != nil {
		return nil, err
	}
	ctx := c.head.headerContext()
	return &Template{
		Parent: c.head.header, Hash: c.head.hash,
		Target:  chain.NextTarget(c.g, &c.head.header, ctx.AnchorTime),
		MinTime: chain.MedianTime(ctx.PrevTimes) + 1,
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
	return state.New(c.db).Code(a)
}

// Tape returns the compact tape of a in the head state.
func (c *Chain) Tape(a common.Address) ([]byte, error) {
	return state.New(c.db).Tape(a)
}

// Eval runs req on a snapshot of the head state and changes nothing
// (chain.Eval).
func (c *Chain) Eval(req chain.EvalRequest) (vm.Result, error) {
	st, _, release, err := c.StateView()
	if err != nil {
		return vm.Result{}, err
	}
	defer release()
	return chain.Eval(st, c.g, req)
}

// ProgramCache returns how many compiled programs the chain's cache holds
// and their footprint in bytes.
func (c *Chain) ProgramCache() (entries, bytes int) { return c.progs.Len() }
