package store

import (
	"errors"
	"os"
	"strings"

	"github.com/syndtr/goleveldb/leveldb"
	lerrors "github.com/syndtr/goleveldb/leveldb/errors"
	"github.com/syndtr/goleveldb/leveldb/filter"
	"github.com/syndtr/goleveldb/leveldb/iterator"
	"github.com/syndtr/goleveldb/leveldb/opt"
	"github.com/syndtr/goleveldb/leveldb/util"
)

// DB is a LevelDB database. It is safe for concurrent use.
type DB struct{ db *leveldb.DB }

// options tune LevelDB for what a block writes and reads (chosen with
// chain/blockchain's BenchmarkImportBlocks and gossip's BenchmarkSync;
// go-ethereum makes the same choices): every block rewrites a few
// thousand Merkle nodes, so a larger memtable means fewer flushes and
// less compaction, and a bloom filter per table answers the lookups of
// absent keys (a fresh account, an empty Merkle position) without reading
// the table. A block cache larger than the default 8 MiB made no
// difference there, so it stays.
var options = &opt.Options{
	WriteBuffer:            16 * opt.MiB,
	Filter:                 filter.NewBloomFilter(10),
	DisableSeeksCompaction: true,
}

// Open opens (or creates) the database in dir.
func Open(dir string) (*DB, error) { return openFile(dir, options) }

// openFile opens (or creates) the database in dir with o. A process
// killed while LevelDB was creating the database (its manifest written,
// the CURRENT file naming it not yet) leaves a directory that LevelDB
// refuses as corrupted; with no table in it either, nothing had reached
// a table, so the database is rebuilt from its journals (RecoverFile),
// which hold every write it had. Any other corruption is returned: a
// rebuild from tables may bring back data that a compaction had replaced.
func openFile(dir string, o *opt.Options) (*DB, error) {
	db, err := leveldb.OpenFile(dir, o)
	if lerrors.IsCorrupted(err) && creationCut(dir) {
		db, err = leveldb.RecoverFile(dir, o)
	}
	if err != nil {
		return nil, err
	}
	return &DB{db}, nil
}

// creationCut reports whether dir holds a LevelDB database whose
// creation was cut short: no CURRENT file and no table.
func creationCut(dir string) bool {
	names, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, n := range names {
		name := n.Name()
		if name == "CURRENT" || strings.HasSuffix(name, ".ldb") || strings.HasSuffix(name, ".sst") {
			return false
		}
	}
	return true
}

// smallOptions are for a process that must stay small (a light node's
// header store, a record of ~300 bytes a header): a 1 MiB memtable and
// block cache instead of 16 and 8.
var smallOptions = &opt.Options{
	WriteBuffer:            1 * opt.MiB,
	BlockCacheCapacity:     1 * opt.MiB,
	Filter:                 filter.NewBloomFilter(10),
	DisableSeeksCompaction: true,
}

// OpenSmall is Open with smallOptions.
func OpenSmall(dir string) (*DB, error) { return openFile(dir, smallOptions) }

// OpenReadOnly opens the database in dir for reading only (a check of a
// node's data from outside it).
func OpenReadOnly(dir string) (*DB, error) {
	db, err := leveldb.OpenFile(dir, &opt.Options{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	return &DB{db}, nil
}

// Close closes the database.
func (d *DB) Close() error { return d.db.Close() }

// Get returns the value under key; found is false if there is none.
func (d *DB) Get(key []byte) (value []byte, found bool, err error) {
	return get(d.db.Get(key, nil))
}

// Has reports whether key is stored.
func (d *DB) Has(key []byte) (bool, error) { return d.db.Has(key, nil) }

// Put and Delete write one key at once, outside any batch: for tests that
// damage a database on purpose.
func (d *DB) Put(key, value []byte) error { return d.db.Put(key, value, nil) }
func (d *DB) Delete(key []byte) error     { return d.db.Delete(key, nil) }

var syncedWrite = &opt.WriteOptions{Sync: true}

// Write applies batch atomically. With sync it returns once the batch,
// and every write before it, is on the disk (fsync); without, once it is
// in the OS's page cache: a process crash keeps it, a power loss may not.
func (d *DB) Write(batch *Batch, sync bool) error {
	wo := (*opt.WriteOptions)(nil)
	if sync {
		wo = syncedWrite
	}
	return d.db.Write(&batch.b, wo)
}

// Snapshot returns a consistent view of the database as it is now; the
// caller must Release it.
func (d *DB) Snapshot() (*Snapshot, error) {
	s, err := d.db.GetSnapshot()
	if err != nil {
		return nil, err
	}
	return &Snapshot{s}, nil
}

// Iterator returns an iterator over the keys in [start, limit), or over
// those beginning with start if limit is nil. The caller must Release it.
func (d *DB) Iterator(start, limit []byte) *Iterator {
	return &Iterator{d.db.NewIterator(keyRange(start, limit), nil)}
}

// Snapshot is a consistent read-only view of a DB.
type Snapshot struct{ s *leveldb.Snapshot }

// Get returns the value under key; found is false if there is none.
func (s *Snapshot) Get(key []byte) (value []byte, found bool, err error) {
	return get(s.s.Get(key, nil))
}

// Has reports whether key is stored.
func (s *Snapshot) Has(key []byte) (bool, error) { return s.s.Has(key, nil) }

// Iterator is DB.Iterator over the snapshot.
func (s *Snapshot) Iterator(start, limit []byte) *Iterator {
	return &Iterator{s.s.NewIterator(keyRange(start, limit), nil)}
}

// Release frees the snapshot.
func (s *Snapshot) Release() { s.s.Release() }

func get(v []byte, err error) ([]byte, bool, error) {
	switch {
	case errors.Is(err, leveldb.ErrNotFound):
		return nil, false, nil
	case err != nil:
		return nil, false, err
	}
	return v, true, nil
}

func keyRange(start, limit []byte) *util.Range {
	if limit == nil {
		return util.BytesPrefix(start)
	}
	return &util.Range{Start: start, Limit: limit}
}

// Iterator walks keys in order. Key and Value are valid until the next
// move; copy them to keep them.
type Iterator struct{ it iterator.Iterator }

func (it *Iterator) Next() bool    { return it.it.Next() }
func (it *Iterator) Prev() bool    { return it.it.Prev() }
func (it *Iterator) Last() bool    { return it.it.Last() }
func (it *Iterator) Key() []byte   { return it.it.Key() }
func (it *Iterator) Value() []byte { return it.it.Value() }
func (it *Iterator) Error() error  { return it.it.Error() }
func (it *Iterator) Release()      { it.it.Release() }

// Batch collects puts and deletes that Write applies atomically. The
// zero value is an empty batch. A batch may be Reset and filled again
// once Write has returned: its buffers (records and their index) are
// kept, so one refilled block after block stops allocating.
type Batch struct{ b leveldb.Batch }

// NewBatch returns an empty batch with room for about size bytes of
// records (Size).
func NewBatch(size int) *Batch { return &Batch{b: *leveldb.MakeBatch(max(size, 0))} }

// Size is the bytes the batch's records take.
func (b *Batch) Size() int { return len(b.b.Dump()) }

func (b *Batch) Put(key, value []byte) { b.b.Put(key, value) }
func (b *Batch) Delete(key []byte)     { b.b.Delete(key) }

// Reset empties the batch and keeps its buffers.
func (b *Batch) Reset() { b.b.Reset() }

// Append adds src's puts and deletes after b's: src's records are copied
// as they are (one copy of its bytes, not a Put each) and the index of
// the whole batch is rebuilt from them.
func (b *Batch) Append(src *Batch) {
	if src.b.Len() == 0 {
		return
	}
	// Records are self-delimiting, so two batches' records one after the
	// other are the records of both; Load re-reads them (a batch's own
	// records always parse).
	if err := b.b.Load(append(b.b.Dump(), src.b.Dump()...)); err != nil {
		panic("store: a batch's records do not parse: " + err.Error())
	}
}

// Len is the number of puts and deletes in the batch.
func (b *Batch) Len() int { return b.b.Len() }

// Compact compacts the whole key range (benchmarks start from settled
// tables, as a node that has been running would).
func (d *DB) Compact() error { return d.db.CompactRange(util.Range{}) }
