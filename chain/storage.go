package chain

import (
	"errors"
	"fmt"

	"github.com/syndtr/goleveldb/leveldb"
)

// ErrStorage marks a failed database write (a full disk, an I/O error).
// The first one stops the chain from writing at all: every later block is
// refused with it and the miner stops, so a node whose disk fills keeps
// what it has (each block is one batch, so a failed one is not there)
// instead of retrying into a half-written journal. Reads go on; a restart
// with room on the disk picks up at the last block written.
var ErrStorage = errors.New("database write failed")

// write commits batch, unless an earlier write failed.
//
// MUST be called with the chain lock held.
func (c *Chain) write(batch *leveldb.Batch) error {
	if err := c.StorageErr(); err != nil {
		return err
	}
	if err := c.db.Write(batch, nil); err != nil {
		err = fmt.Errorf("%w: %v", ErrStorage, err)
		c.failed.Store(&err)
		c.log.Error("database write failed: the chain stops writing (no more blocks are stored or mined) until the node is restarted with room on its disk",
			"err", err)
		return err
	}
	return nil
}

// StorageErr returns the write failure that stopped the chain, or nil.
func (c *Chain) StorageErr() error {
	if p := c.failed.Load(); p != nil {
		return *p
	}
	return nil
}
