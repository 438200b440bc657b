package chain

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
)

// Checkpoint pins the main-chain block at Height to Hash (genesis
// "checkpoints"). Checkpoints and min_chain_work are not rules of block
// validity: they are what a node that has just started, with no chain of
// its own, knows of the real chain, so that the first peer it meets
// cannot feed it a long cheap chain of its own making (an eclipse at
// start-up). Headers-first sync enforces them (docs/PROTOCOL.md, 6.2).
type Checkpoint struct {
	Height uint64      `json:"height"`
	Hash   common.Hash `json:"hash"`
}

// ErrCheckpoint is a header chain that contradicts a checkpoint: another
// block at a checkpoint's height, or a fork below a checkpoint the node's
// chain has passed.
var ErrCheckpoint = errors.New("contradicts a checkpoint")

// CheckCheckpoint returns ErrCheckpoint if a checkpoint names another
// block at height.
func (g *Genesis) CheckCheckpoint(height uint64, hash common.Hash) error {
	for _, cp := range g.Checkpoints {
		if cp.Height == height && cp.Hash != hash {
			return fmt.Errorf("%w: block %s at height %d, checkpoint %s", ErrCheckpoint, hash, height, cp.Hash)
		}
	}
	return nil
}

// CheckForkPoint returns ErrCheckpoint for a branch that forks from a
// chain at height head below the highest checkpoint at or under head: the
// branch would replace a checkpointed block.
func (g *Genesis) CheckForkPoint(fork, head uint64) error {
	for _, cp := range g.Checkpoints {
		if cp.Height <= head && fork < cp.Height {
			return fmt.Errorf("%w: a fork at height %d, below checkpoint %d", ErrCheckpoint, fork, cp.Height)
		}
	}
	return nil
}

// MinWork returns min_chain_work (zero when not set): until its head
// carries this much work a node is in its initial block download, and it
// downloads the bodies only of a branch whose checked headers reach it.
func (g *Genesis) MinWork() *big.Int {
	if g.MinChainWork == nil {
		return new(big.Int)
	}
	return g.MinChainWork.ToInt()
}

// checkCheckpoints is Genesis.Check's part for the optional fields.
func (g *Genesis) checkCheckpoints() error {
	for i, cp := range g.Checkpoints {
		switch {
		case cp.Height == 0 || cp.Hash == (common.Hash{}):
			return ruleErr(ErrBadGenesis, "checkpoint %d: want a height above 0 and a block hash", i)
		case i > 0 && cp.Height <= g.Checkpoints[i-1].Height:
			return ruleErr(ErrBadGenesis, "checkpoints must be in increasing height order")
		}
	}
	if g.MinChainWork != nil && g.MinChainWork.ToInt().Sign() < 0 {
		return ruleErr(ErrBadGenesis, "min_chain_work must not be negative")
	}
	return nil
}
