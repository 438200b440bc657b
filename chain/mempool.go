package chain

import (
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/tinychain/tinychain/proto"
)

// Mempool errors that are not consensus rules.
var (
	ErrKnownTx            = errors.New("tx already in the mempool")
	ErrReplaceUnderpriced = errors.New("replacement tx needs a gas price at least 10% higher")
	ErrMempoolFull        = errors.New("mempool full: gas price too low to evict anything")
)

// MaxNonceGap is how far ahead of its account's nonce a pending tx may be.
const MaxNonceGap = 64

// MempoolConfig bounds the mempool.
type MempoolConfig struct {
	MaxTxs   int // default 10,000
	MaxBytes int // default 32 MiB
}

// Mempool holds valid pending transactions: per sender in nonce order, and
// across senders by gas price. A tx with the nonce of a pending one
// replaces it only with a gas price at least 10% higher. When full, the
// cheapest tx leaves first (the last nonce of its sender, so no gap opens).
// Txs that a new block includes or invalidates leave; txs of abandoned
// blocks come back. Safe for concurrent use.
type Mempool struct {
	c   *Chain
	cfg MempoolConfig

	mu       sync.Mutex
	all      map[common.Hash]*poolTx
	bySender map[common.Address]map[uint64]*poolTx
	bytes    int
	onAdd    []func(*proto.Tx)
	dropped  *lru.Cache[common.Hash, DroppedTx] // dropped.go
	nonces   map[common.Address]uint64          // each sender's account nonce at the head (evict.go)
}

type poolTx struct {
	tx     *proto.Tx
	sender common.Address
}

// NewMempool returns an empty mempool over c's head state; it follows the
// head by subscribing to the chain.
func NewMempool(c *Chain, cfg MempoolConfig) *Mempool {
	if cfg.MaxTxs <= 0 {
		cfg.MaxTxs = 10_000
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = 32 << 20
	}
	mp := &Mempool{c: c, cfg: cfg, all: map[common.Hash]*poolTx{}, bySender: map[common.Address]map[uint64]*poolTx{},
		dropped: newDropped(), nonces: map[common.Address]uint64{}}
	c.Subscribe(mp.onHead)
	return mp
}

// OnAdd registers f to be called (outside the mempool lock) with every tx
// newly accepted by Add, e.g. to relay it.
func (mp *Mempool) OnAdd(f func(*proto.Tx)) {
	mp.mu.Lock()
	mp.onAdd = append(mp.onAdd, f)
	mp.mu.Unlock()
}

// Add validates tx against the rules and the head state and adds it.
func (mp *Mempool) Add(tx *proto.Tx) error {
	// A known tx (relayed again by peers) costs no signature check.
	if mp.Get(tx.Hash()) != nil {
		return ErrKnownTx
	}
	sender, err := CheckTx(tx, mp.c.g)
	if err != nil {
		return err
	}
	st, _, release, err := mp.c.StateView()
	if err != nil {
		return err
	}
	defer release()
	mp.mu.Lock()
	err = mp.addLocked(st, tx, sender)
	hooks := mp.onAdd
	mp.mu.Unlock()
	if err == nil {
		for _, f := range hooks {
			f(tx)
		}
	}
	return err
}

// addLocked adds a checked tx. MUST be called with mp.mu held.
func (mp *Mempool) addLocked(st *State, tx *proto.Tx, sender common.Address) error {
	h := tx.Hash()
	if _, ok := mp.all[h]; ok {
		return ErrKnownTx
	}
	acct, err := st.Account(sender)
	if err != nil {
		return err
	}
	if tx.Nonce < acct.Nonce {
		return ruleErr(ErrNonceTooLow, "tx %s: nonce %d, account at %d", h, tx.Nonce, acct.Nonce)
	}
	if tx.Nonce > acct.Nonce+MaxNonceGap {
		return ruleErr(ErrNonceTooHigh, "tx %s: nonce %d is more than %d ahead of the account's %d", h, tx.Nonce, MaxNonceGap, acct.Nonce)
	}
	// The sender must afford this tx together with its pending lower nonces.
	need, _ := tx.Cost()
	for n, p := range mp.bySender[sender] {
		if n < tx.Nonce {
			c, _ := p.tx.Cost()
			var ok bool
			if need, ok = proto.AddU64(need, c); !ok {
				return ruleErr(ErrOverflow, "tx %s: pending costs overflow", h)
			}
		}
	}
	if acct.Balance < need {
		return ruleErr(ErrInsufficientFunds, "tx %s: %s holds %d, its pending txs need %d", h, sender, acct.Balance, need)
	}
	if old := mp.bySender[sender][tx.Nonce]; old != nil {
		if !replaces(tx.GasPrice, old.tx.GasPrice) {
			return fmt.Errorf("%w (pending %s pays %d)", ErrReplaceUnderpriced, old.tx.Hash(), old.tx.GasPrice)
		}
		mp.drop(old, "replaced by %s paying gas price %d (it paid %d)", h, tx.GasPrice, old.tx.GasPrice)
	}
	for len(mp.all) >= mp.cfg.MaxTxs || mp.bytes+tx.Size() > mp.cfg.MaxBytes {
		victim, stuck := mp.victimLocked(sender)
		switch {
		case victim != nil && stuck && mp.runnableLocked(acct.Nonce, sender, tx.Nonce):
			mp.drop(victim, "evicted: the mempool was full, it could not run (a lower nonce of its sender is missing) and %s can", h)
		case victim != nil && victim.tx.GasPrice < tx.GasPrice:
			mp.drop(victim, "evicted: the mempool was full and %s pays gas price %d (it paid %d)", h, tx.GasPrice, victim.tx.GasPrice)
		default:
			return ErrMempoolFull
		}
	}
	p := &poolTx{tx, sender}
	mp.all[h] = p
	if mp.bySender[sender] == nil {
		mp.bySender[sender] = map[uint64]*poolTx{}
	}
	mp.bySender[sender][tx.Nonce] = p
	mp.bytes += tx.Size()
	mp.nonces[sender] = acct.Nonce
	mp.dropped.Remove(h)
	return nil
}

// replaces reports whether a gas price is at least 10% above an old one
// (and above it at all, when the old one is zero).
func replaces(price, old uint64) bool {
	bump := old / 10
	if old%10 != 0 {
		bump++
	}
	min, ok := proto.AddU64(old, bump)
	return ok && price >= min && price > old
}

func (mp *Mempool) removeLocked(p *poolTx) {
	delete(mp.all, p.tx.Hash())
	txs := mp.bySender[p.sender]
	delete(txs, p.tx.Nonce)
	if len(txs) == 0 {
		delete(mp.bySender, p.sender)
		delete(mp.nonces, p.sender)
	}
	mp.bytes -= p.tx.Size()
}

// onHead follows the chain: txs of abandoned blocks come back, then every
// tx that the new head state makes invalid (included, nonce used, funds
// gone) leaves.
func (mp *Mempool) onHead(ev *HeadEvent) {
	st, _, release, err := mp.c.StateView()
	if err != nil {
		mp.c.log.Error("mempool: state view", "err", err)
		return
	}
	defer release()
	mp.mu.Lock()
	defer mp.mu.Unlock()
	for _, b := range ev.Connected {
		for _, tx := range b.Txs {
			if p := mp.all[tx.Hash()]; p != nil {
				mp.removeLocked(p)
			}
		}
	}
	for _, b := range ev.Disconnected {
		for _, tx := range b.Txs {
			sender, err := Sender(tx)
			if err == nil {
				err = mp.addLocked(st, tx, sender) // still valid on the new head, or gone
			}
			if err != nil && !errors.Is(err, ErrKnownTx) {
				if _, inNew := mp.c.Tx(tx.Hash()); inNew != nil {
					mp.dropped.Add(tx.Hash(), DroppedTx{tx, fmt.Sprintf("its block was abandoned in a reorganisation and it is no longer valid: %v", err)})
				}
			}
		}
	}
	for sender, txs := range mp.bySender {
		acct, err := st.Account(sender)
		if err != nil {
			continue
		}
		mp.nonces[sender] = acct.Nonce
		var left uint64 = acct.Balance
		for _, n := range sortedNonces(txs) {
			p := txs[n]
			cost, _ := p.tx.Cost()
			if n < acct.Nonce {
				mp.drop(p, "nonce %d was used by another tx (the account is at %d)", n, acct.Nonce)
				continue
			}
			if cost > left {
				mp.drop(p, "the sender can no longer pay for it: %d left after its lower nonces, it costs %d", left, cost)
				continue
			}
			left -= cost
		}
	}
}

func sortedNonces(txs map[uint64]*poolTx) []uint64 {
	ns := make([]uint64, 0, len(txs))
	for n := range txs {
		ns = append(ns, n)
	}
	sort.Slice(ns, func(i, j int) bool { return ns[i] < ns[j] })
	return ns
}

// Get returns the pending tx with hash h.
func (mp *Mempool) Get(h common.Hash) *proto.Tx {
	mp.mu.Lock()
	defer mp.mu.Unlock()
	if p := mp.all[h]; p != nil {
		return p.tx
	}
	return nil
}

// CopySenders gives each of txs that the mempool holds the sender it
// recovered when it admitted that tx: the same hash is the same bytes,
// signature included, so a block of txs already seen here costs no
// signature recovery when it arrives.
func (mp *Mempool) CopySenders(txs []*proto.Tx) {
	for _, tx := range txs {
		tx.Hash() // hashed (and cached) outside the lock
	}
	mp.mu.Lock()
	defer mp.mu.Unlock()
	for _, tx := range txs {
		if p := mp.all[tx.Hash()]; p != nil {
			tx.SetSender(p.sender)
		}
	}
}

// Stats returns the number of txs and their total size in bytes.
func (mp *Mempool) Stats() (count, bytes int) {
	mp.mu.Lock()
	defer mp.mu.Unlock()
	return len(mp.all), mp.bytes
}

// PendingNonce returns the next nonce for sender given its pending txs:
// one past the highest contiguous pending nonce, or the account nonce.
func (mp *Mempool) PendingNonce(sender common.Address, accountNonce uint64) uint64 {
	mp.mu.Lock()
	defer mp.mu.Unlock()
	n := accountNonce
	for mp.bySender[sender][n] != nil {
		n++
	}
	return n
}

// Pending returns the pending txs in the order a miner takes them: by gas
// price, each sender's in nonce order (a sender's next tx competes with its
// price; ties go to the earlier sender address, for determinism).
func (mp *Mempool) Pending() []*proto.Tx {
	mp.mu.Lock()
	queues := make([][]*proto.Tx, 0, len(mp.bySender))
	for _, txs := range mp.bySender {
		q := make([]*proto.Tx, 0, len(txs))
		for _, n := range sortedNonces(txs) {
			q = append(q, txs[n].tx)
		}
		queues = append(queues, q)
	}
	mp.mu.Unlock()
	return mergeByPrice(queues)
}
