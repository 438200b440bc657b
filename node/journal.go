package node

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/chain/mempool"
	"github.com/tinychain/tinychain/proto"
)

// The local txs journal, as geth's transactions.rlp: every tx sent to
// this node's API is appended to <datadir>/transactions.rlp (the txs'
// canonical encodings one after another, an RLP stream), replayed into
// the mempool at start, and rewritten with only the txs the mempool
// still holds every journalRotate and at stop. So a restart keeps the
// user's pending txs; txs that peers relayed are not kept (they are the
// peers' to send again).
//
// Appends are not synced to disk: they survive the process, not a power
// cut. A torn last record (a crash mid-write) ends the replay there.
//
// Cost bounds: the file holds at most the mempool's MaxTxs txs after a
// rewrite, and is rewritten early when twice that many were written since;
// each is at most proto.MaxTxSize. The replay reads at most three times
// MaxTxs records, each costing one mempool Add (a signature recovery).

const (
	journalFile   = "transactions.rlp"
	journalRotate = time.Minute
)

type txJournal struct {
	path   string
	log    *slog.Logger
	maxTxs int // the mempool's MaxTxs: more local txs than that cannot all be held

	mu sync.Mutex
	f  *os.File // open for appending; nil once closed
	// failed is set by an append that failed (a full disk): no more
	// appends until a rewrite succeeds, so a full disk is one error line,
	// not one per tx.
	failed bool
	local  map[common.Hash]journaledTx // written since the last rewrite
}

type journaledTx struct {
	tx     *proto.Tx
	sender common.Address
}

func newJournal(path string, maxTxs int, log *slog.Logger) *txJournal {
	return &txJournal{path: path, log: log, maxTxs: maxTxs, local: map[common.Hash]journaledTx{}}
}

// replay adds the journal's txs to pool, logging each that is skipped
// (mined meanwhile, or no longer valid), then rewrites the journal with
// the ones the pool took and opens it for appending.
func (j *txJournal) replay(pool *mempool.Mempool) error {
	f, err := os.Open(j.path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return fmt.Errorf("tx journal: %w", err)
	default:
		loaded, skipped := 0, 0
		s := rlp.NewStream(bufio.NewReader(f), proto.MaxTxSize)
		for n := 0; n < 3*j.maxTxs; n++ { // the most a file holds: see insert
			raw, err := s.Raw()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				j.log.Warn("tx journal: unreadable from here on (torn write?), rest skipped", "file", j.path, "record", n, "err", err)
				break
			}
			tx, err := proto.DecodeTx(raw)
			if err == nil {
				err = pool.Add(tx)
			}
			switch {
			case err == nil || errors.Is(err, mempool.ErrKnownTx):
				loaded++
				j.remember(tx)
			case chain.CodeOf(err) == chain.ErrNonceTooLow:
				skipped++
				j.log.Info("tx journal: skipped a tx mined meanwhile", "tx", tx.Hash(), "nonce", tx.Nonce)
			default:
				skipped++
				j.log.Info("tx journal: skipped a tx no longer valid", "record", n, "err", err)
			}
		}
		f.Close()
		j.log.Info("tx journal replayed", "file", j.path, "pending", loaded, "skipped", skipped)
	}
	return j.rewrite(pool)
}

// remember notes tx as local. MUST be called with j.mu held, or before
// the journal is shared.
func (j *txJournal) remember(tx *proto.Tx) {
	from, _ := chain.Sender(tx) // cached: the mempool checked it
	j.local[tx.Hash()] = journaledTx{tx, from}
}

// insert appends a tx that the API accepted (once: a tx sent twice is
// written once).
func (j *txJournal) insert(tx *proto.Tx, pool *mempool.Mempool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return
	}
	if _, ok := j.local[tx.Hash()]; ok {
		return
	}
	j.remember(tx)
	if j.failed {
		return // kept in j.local: the next rewrite writes it
	}
	if _, err := j.f.Write(tx.Encode()); err != nil {
		j.failed = true
		j.log.Error("tx journal: append failed; no more appends until the next rewrite", "file", j.path, "err", err)
	}
	if len(j.local) > 2*j.maxTxs {
		j.rewriteLocked(pool)
	}
}

// rewrite writes the journal anew with the local txs the mempool still
// holds, in sender and nonce order (so that a replay meets no gap the
// journal itself made), and reopens it for appending.
func (j *txJournal) rewrite(pool *mempool.Mempool) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.rewriteLocked(pool)
}

func (j *txJournal) rewriteLocked(pool *mempool.Mempool) error {
	keep := make([]journaledTx, 0, len(j.local))
	for h, jt := range j.local {
		if pool.Get(h) == nil {
			delete(j.local, h) // mined, dropped or replaced
			continue
		}
		keep = append(keep, jt)
	}
	sort.Slice(keep, func(a, b int) bool {
		if c := keep[a].sender.Cmp(keep[b].sender); c != 0 {
			return c < 0
		}
		return keep[a].tx.Nonce < keep[b].tx.Nonce
	})
	tmp := j.path + ".new"
	err := writeTxs(tmp, keep)
	if err == nil {
		err = os.Rename(tmp, j.path)
	}
	if err != nil {
		os.Remove(tmp)
		j.log.Error("tx journal: rewrite", "file", j.path, "err", err)
	} else {
		j.failed = false
	}
	if j.f != nil {
		j.f.Close()
	}
	j.f, err = os.OpenFile(j.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("tx journal: %w", err)
	}
	return nil
}

func writeTxs(path string, txs []journaledTx) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for _, jt := range txs {
		if _, err := w.Write(jt.tx.Encode()); err != nil {
			f.Close()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// close rewrites the journal one last time and closes it.
func (j *txJournal) close(pool *mempool.Mempool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return
	}
	j.rewriteLocked(pool)
	j.f.Close()
	j.f = nil
}

// rotateLoop rewrites the journal every journalRotate until stop closes.
func (j *txJournal) rotateLoop(pool *mempool.Mempool, stop <-chan struct{}) {
	t := time.NewTicker(journalRotate)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			_ = j.rewrite(pool)
		}
	}
}
