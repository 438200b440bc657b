package chain

import (
	"errors"
	"fmt"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/opt"
)

// ErrStorage marks a failed database write (a full disk, an I/O error).
// The first one stops the chain from writing at all: every later block is
// refused with it and the miner stops, so a node whose disk fills keeps
// what it has (each block is one batch, so a failed one is not there)
// instead of retrying into a half-written journal. Reads go on; a restart
// with room on the disk picks up at the last block written.
var ErrStorage = errors.New("database write failed")

// write commits batch, unless an earlier write failed. The write is not
// synced: a process crash keeps it (it is in the OS's page cache), a power
// loss may not, and then loadIndex drops what lost its parent.
//
// MUST be called with the chain lock held.
func (c *Chain) write(batch *leveldb.Batch) error { return c.commit(batch, false) }

// writeHead commits a batch that moves the head (connecting or
// disconnecting a block) and waits until it is on the disk (fsync). LevelDB
// appends every batch to one journal; syncing it flushes this batch and all
// written before it, so after a power loss the journal holds every block
// up to the last head written, whole, in order: never a head without the
// state below it. It costs one fsync per block (about 0.3 ms on this
// machine's disk, a few percent of a block's import during sync).
//
// MUST be called with the chain lock held.
func (c *Chain) writeHead(batch *leveldb.Batch) error { return c.commit(batch, true) }

var syncedWrite = &opt.WriteOptions{Sync: true}

func (c *Chain) commit(batch *leveldb.Batch, synced bool) error {
	if err := c.StorageErr(); err != nil {
		return err
	}
	wo := (*opt.WriteOptions)(nil)
	if synced {
		wo = syncedWrite
	}
	if err := c.db.Write(batch, wo); err != nil {
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
