package chain

import (
	"math/big"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/vm"
	"github.com/tinychain/tinychain/wallet"
)

// This file holds the consensus checks that need no state: those of a
// transaction alone, of a block alone, and of a header given its ancestors.
// None of them does I/O or reads the clock; `now` is an argument.

// IntrinsicGas is the gas a transaction costs before it executes.
func IntrinsicGas(tx *proto.Tx) uint64 {
	return TxGas + TxDataGasByte*uint64(len(tx.Data))
}

// Sender returns the address that signed tx, recovering it once and
// caching it on the transaction.
func Sender(tx *proto.Tx) (common.Address, error) {
	if a, ok := tx.CachedSender(); ok {
		return a, nil
	}
	a, err := wallet.Recover(tx.SigHash(), tx.Sig)
	if err != nil {
		return common.Address{}, ruleErr(ErrBadSignature, "tx %s: %v", tx.Hash(), err)
	}
	tx.SetSender(a)
	return a, nil
}

// CheckTx runs the checks of a transaction that need no state, in this
// order: size, chain id, kind, recipient, gas price, intrinsic gas, gas
// limit against the block's, cost overflow, signature. It returns the sender.
func CheckTx(tx *proto.Tx, g *Genesis) (common.Address, error) {
	if err := checkTxStateless(tx, g); err != nil {
		return common.Address{}, err
	}
	return Sender(tx)
}

// checkTxStateless runs CheckTx's checks but the signature's.
func checkTxStateless(tx *proto.Tx, g *Genesis) error {
	h := tx.Hash()
	if tx.Size() > g.MaxTxBytes {
		return ruleErr(ErrTxTooBig, "tx %s: %d bytes > %d", h, tx.Size(), g.MaxTxBytes)
	}
	if tx.ChainID != g.ChainID {
		return ruleErr(ErrBadChainID, "tx %s: chain id %d, want %d", h, tx.ChainID, g.ChainID)
	}
	if err := checkKind(tx); err != nil {
		return err
	}
	if tx.GasPrice < uint64(g.MinGasPrice) {
		return ruleErr(ErrGasPriceTooLow, "tx %s: gas price %d < min %d", h, tx.GasPrice, g.MinGasPrice)
	}
	if ig := IntrinsicGas(tx); tx.GasLimit < ig {
		return ruleErr(ErrIntrinsicGas, "tx %s: gas limit %d < intrinsic gas %d", h, tx.GasLimit, ig)
	}
	if tx.GasLimit > g.BlockGasLimit {
		return ruleErr(ErrBlockGasLimit, "tx %s: gas limit %d > block gas limit %d", h, tx.GasLimit, g.BlockGasLimit)
	}
	if _, ok := tx.Cost(); !ok {
		return ruleErr(ErrOverflow, "tx %s: value + gas_limit*gas_price overflows", h)
	}
	return nil
}

// checkKind checks the kind and the recipient that goes with it.
func checkKind(tx *proto.Tx) error {
	zeroTo := tx.To == common.Address{}
	switch tx.Kind {
	case proto.KindTransfer:
		if zeroTo {
			return ruleErr(ErrBadTo, "tx %s: transfer to the zero address", tx.Hash())
		}
		return nil
	case proto.KindCall:
		if zeroTo {
			return ruleErr(ErrBadTo, "tx %s: call of the zero address", tx.Hash())
		}
		return nil
	case proto.KindDeploy, proto.KindExec:
		if !zeroTo {
			return ruleErr(ErrBadTo, "tx %s: %s needs the zero address in to", tx.Hash(), tx.Kind)
		}
		if tx.Kind == proto.KindExec && tx.Value != 0 {
			return ruleErr(ErrBadValue, "tx %s: exec carries no value", tx.Hash())
		}
		if err := vm.Validate(tx.Data); err != nil {
			return ruleErr(ErrBadCode, "tx %s: %v", tx.Hash(), err)
		}
		return nil
	}
	return ruleErr(ErrBadKind, "tx %s: unknown kind %d", tx.Hash(), uint8(tx.Kind))
}

// CheckBlock runs the checks of a block that need no context, in this
// order: size, version, height, target within pow_limit, proof of work,
// tx root, duplicate txs, then every transaction's CheckTx (signatures are
// recovered in parallel across cores). It returns the senders.
func CheckBlock(b *proto.Block, g *Genesis) ([]common.Address, error) {
	chk, err := StartCheckBlock(b, g)
	if err != nil {
		return nil, err
	}
	return chk.Wait()
}

// StartCheckBlock runs CheckBlock's checks but the signatures', and
// starts recovering the senders on the cores, in block order. Its error
// is CheckBlock's when a check before the txs' fails; the txs' errors,
// and the senders, come from the BlockCheck: Wait returns exactly what
// CheckBlock would, and Sender(i) lets a caller execute tx i as soon as
// its sender is known, while the later ones are still being recovered.
func StartCheckBlock(b *proto.Block, g *Genesis) (*BlockCheck, error) {
	h := &b.Header
	hash := b.Hash()
	if err := CheckHeader(b, g); err != nil {
		return nil, err
	}
	if root := TxRoot(b.Txs); root != h.TxRoot {
		return nil, ruleErr(ErrBadTxRoot, "block %s: tx root %s, computed %s", hash, h.TxRoot, root)
	}
	seen := make(map[common.Hash]struct{}, len(b.Txs))
	for _, tx := range b.Txs {
		if _, dup := seen[tx.Hash()]; dup {
			return nil, ruleErr(ErrDuplicateTx, "block %s: tx %s twice", hash, tx.Hash())
		}
		seen[tx.Hash()] = struct{}{}
	}
	return startRecovery(b.Txs, g), nil
}

// BlockCheck is the txs' part of a block's CheckBlock, under way: each
// tx's CheckTx, the signature recovered on one of the cores.
type BlockCheck struct {
	senders []common.Address
	errs    []error
	done    []chan struct{} // done[i] is closed once tx i is checked
}

// startRecovery runs each tx's stateless checks here and recovers the
// senders of those that pass on up to GOMAXPROCS goroutines, which take
// the txs in block order.
func startRecovery(txs []*proto.Tx, g *Genesis) *BlockCheck {
	n := len(txs)
	c := &BlockCheck{senders: make([]common.Address, n), errs: make([]error, n), done: make([]chan struct{}, n)}
	for i, tx := range txs {
		c.done[i] = make(chan struct{})
		if c.errs[i] = checkTxStateless(tx, g); c.errs[i] != nil {
			close(c.done[i])
		}
	}
	var next atomic.Int64
	for range min(runtime.GOMAXPROCS(0), n/16+1) {
		go func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				if c.errs[i] == nil {
					c.senders[i], c.errs[i] = Sender(txs[i])
					close(c.done[i])
				}
			}
		}()
	}
	return c
}

// Sender waits until tx i is checked and returns its sender, or its
// CheckTx error (a later tx's error may come first in block order: Wait
// tells).
func (c *BlockCheck) Sender(i int) (common.Address, error) {
	<-c.done[i]
	return c.senders[i], c.errs[i]
}

// Wait waits until every tx is checked and returns the senders, or the
// first CheckTx error in block order: CheckBlock's result.
func (c *BlockCheck) Wait() ([]common.Address, error) {
	for i := range c.done {
		if _, err := c.Sender(i); err != nil {
			c.waitAll()
			return nil, err
		}
	}
	return c.senders, nil
}

// waitAll waits for the recoveries still running, so that none outlives
// the check that started it.
func (c *BlockCheck) waitAll() {
	for _, d := range c.done {
		<-d
	}
}

// CheckHeader runs the checks of CheckBlock that look at the header
// alone (and the block's size): size, version, height, target within
// pow_limit, proof of work. They cost one hash; an orphan gets no others.
func CheckHeader(b *proto.Block, g *Genesis) error {
	hash := b.Hash()
	if b.Size() > g.MaxBlockBytes {
		return ruleErr(ErrBlockTooBig, "block %s: %d bytes > %d", hash, b.Size(), g.MaxBlockBytes)
	}
	return checkHeaderAlone(&b.Header, hash, g)
}

// checkHeaderAlone runs the checks of a header by itself: version, height,
// target within pow_limit, proof of work (hash is h's).
func checkHeaderAlone(h *proto.Header, hash common.Hash, g *Genesis) error {
	if h.Version != HeaderVersion {
		return ruleErr(ErrBadVersion, "block %s: version %d, want %d", hash, h.Version, HeaderVersion)
	}
	if h.Height == 0 {
		return ruleErr(ErrBadGenesis, "block %s: height 0 is the genesis", hash)
	}
	target := h.TargetBig()
	if target.Sign() <= 0 || target.Cmp(g.PowLimit.ToInt()) > 0 {
		return ruleErr(ErrBadTarget, "block %s: target outside (0, pow_limit]", hash)
	}
	if !CheckProofOfWork(hash, target) {
		return ruleErr(ErrBadPoW, "block %s: hash above target", hash)
	}
	return nil
}

// RecoverSenders recovers and caches the senders of txs, spread over the
// cores, so that CheckBlock later finds them cached. Sync calls it on
// blocks as they arrive, so that their recoveries overlap the execution of
// the blocks before them. A signature that does not recover is left for
// CheckBlock to report, in block order, with the other checks.
func RecoverSenders(txs []*proto.Tx) {
	forEachParallel(len(txs), func(i int) { Sender(txs[i]) })
}

// forEachParallel calls f(0) ... f(n-1) on up to GOMAXPROCS goroutines
// (one for small n, where starting more costs more than it saves).
func forEachParallel(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n/16+1)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				f(i)
			}
		}()
	}
	wg.Wait()
}

// HeaderContext is what a header is checked against: its parent, the
// timestamps of the parent and up to 10 of its ancestors, and the
// timestamp of block 1 of its branch (the ASERT anchor).
type HeaderContext struct {
	Parent     *proto.Header
	PrevTimes  []uint64 // parent first, at most 11
	AnchorTime uint64   // timestamp of block 1; unused while Parent is the genesis
}

// MedianTime returns the median of the timestamps.
func MedianTime(times []uint64) uint64 {
	s := append([]uint64(nil), times...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// NextTarget is the target of the block after parent. Block 1 carries the
// genesis target; every later block the ASERT target anchored at block 1,
// as if block 1's parent had come exactly one interval before it (so a
// chain on schedule keeps the genesis target, however old the genesis).
func NextTarget(g *Genesis, parent *proto.Header, anchorTime uint64) *big.Int {
	if parent.Height == 0 {
		return new(big.Int).Set(g.Target.ToInt())
	}
	anchorParentTime := int64(anchorTime) - g.BlockIntervalMs
	return ASERTTarget(g.Target.ToInt(), int64(parent.Timestamp)-anchorParentTime,
		int64(parent.Height)-1, g.BlockIntervalMs, g.HalfLifeMs, g.PowLimit.ToInt())
}

// CheckHeaderContext runs the checks of a header against its ancestors:
// height, target, timestamp above the median of the last 11, and not more
// than max_future_ms ahead of nowMs (ErrTimeTooNew: hold, do not ban).
func CheckHeaderContext(h *proto.Header, ctx HeaderContext, g *Genesis, nowMs uint64) error {
	hash := h.Hash()
	if h.Height != ctx.Parent.Height+1 {
		return ruleErr(ErrBadHeight, "block %s: height %d, parent at %d", hash, h.Height, ctx.Parent.Height)
	}
	want := NextTarget(g, ctx.Parent, ctx.AnchorTime)
	if h.TargetBig().Cmp(want) != 0 {
		return ruleErr(ErrBadTarget, "block %s: target %x, want %x", hash, h.TargetBig(), want)
	}
	if mtp := MedianTime(ctx.PrevTimes); h.Timestamp <= mtp {
		return ruleErr(ErrTimeTooOld, "block %s: timestamp %d not above median %d", hash, h.Timestamp, mtp)
	}
	if h.Timestamp > nowMs+uint64(g.MaxFutureMs) {
		return ruleErr(ErrTimeTooNew, "block %s: timestamp %d more than %d ms ahead of %d", hash, h.Timestamp, g.MaxFutureMs, nowMs)
	}
	return nil
}
