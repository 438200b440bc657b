package blockchain

import (
	"errors"
	"fmt"
	"time"

	"github.com/tinychain/tinychain/chain/store"
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
func (c *Chain) write(batch *store.Batch) error { return c.commit(batch, false) }

// writeHead commits a batch that moves the head (connecting or
// disconnecting a block), and at most once per headSyncEvery waits until
// it is on the disk (fsync): a barrier. LevelDB appends every batch to one
// journal, and syncing it flushes this batch and all written before it.
// So after a power loss the database holds every block up to the last
// barrier; what came after it is lost whole or kept whole, as a prefix of
// the journal on file systems that keep appends in order (ext4's default
// data=ordered, xfs): the head never points past the state below it, and
// at most the last second of blocks is fetched again. A process crash
// (SIGKILL) loses nothing: the writes are in the OS's page cache. Syncing
// every block instead cost 25-65% of import speed on this machine's disk.
//
// MUST be called with the chain lock held.
func (c *Chain) writeHead(batch *store.Batch) error {
	now := time.Now()
	synced := now.Sub(c.lastSync) >= headSyncEvery
	if err := c.commit(batch, synced); err != nil {
		return err
	}
	if synced {
		c.lastSync = now
	}
	return nil
}

// headSyncEvery is the period of the head-write barrier.
const headSyncEvery = time.Second

func (c *Chain) commit(batch *store.Batch, synced bool) error {
	if err := c.StorageErr(); err != nil {
		return err
	}
	if err := c.db.Write(batch, synced); err != nil {
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
