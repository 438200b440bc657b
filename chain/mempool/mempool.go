package mempool

import (
	"container/heap"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/chain/blockchain"
	"github.com/tinychain/tinychain/chain/state"
	"github.com/tinychain/tinychain/proto"
)

// Mempool errors that are not consensus rules. A refusal for room wraps
// ErrMempoolFull and says which bound it hit.
var (
	ErrKnownTx            = errors.New("tx already in the mempool")
	ErrReplaceUnderpriced = errors.New("replacement tx needs a gas price at least 10% higher")
	ErrMempoolFull        = errors.New("mempool full")
)

// Bounds of the mempool besides Config's.
const (
	// MaxNonceGap is how far ahead of its account's nonce a pending tx may be.
	MaxNonceGap = 64
	// MaxQueuedPerSender bounds the txs of one sender that wait behind a
	// nonce gap.
	MaxQueuedPerSender = 16
	// queueLifetime is how long a tx may wait behind a nonce gap: it is
	// dropped at the first head after that (geth keeps them 3 hours; a
	// gap that a minute does not fill is most likely never filled).
	queueLifetime = 10 * time.Minute
)

// DefaultMaxTxs is Config.MaxTxs when it is not set.
const DefaultMaxTxs = 10_000

// Config bounds the mempool.
type Config struct {
	MaxTxs   int // default 10,000; the nonce-gap queue holds at most 1/8 of it
	MaxBytes int // default 32 MiB; the queue at most 1/8 of it
	Logger   *slog.Logger
}

// Chain is what the mempool reads of the chain: the rules' parameters and
// clock, a view of the head state, the tx index (to tell a tx that a
// reorganisation dropped from one that the new branch includes) and the
// head events it follows. *blockchain.Chain implements it.
type Chain interface {
	Genesis() *chain.Genesis
	Now() time.Time
	StateView() (st *state.State, head *blockchain.BlockInfo, release func(), err error)
	Tx(h common.Hash) (*blockchain.TxResult, error)
	Subscribe(f func(*blockchain.HeadEvent))
}

// Mempool holds valid pending transactions: per sender in nonce order, and
// across senders by gas price. The rules (docs/PROTOCOL.md section 7):
//
//   - Affordable together: the sum of the costs (value + gas_limit ×
//     gas_price) of all of a sender's txs in the pool never exceeds its
//     balance at the head, whatever order they arrived in (geth's txList
//     cost cap). A tx that would break it is refused; after a head change
//     the highest nonces that no longer fit leave.
//   - Runnable and queued: a sender's txs from its account nonce up with
//     no nonce missing are runnable (the miner takes them); a tx above a
//     missing nonce waits in the nonce-gap queue, bounded to
//     MaxQueuedPerSender per sender and 1/8 of the pool (count and bytes),
//     and is promoted when the gap fills. A queued tx never evicts a
//     runnable one; a runnable newcomer evicts queued txs first.
//   - Replacement: a tx with the nonce of a pending one replaces it only
//     with a gas price at least 10% higher, and only if it fits (room, cost
//     cap); otherwise the original stays.
//   - Eviction when full: the cheapest among each other sender's highest
//     runnable nonce (so no gap opens), only for a newcomer paying more.
//
// Txs that a new block includes or invalidates leave; txs of abandoned
// blocks come back. Safe for concurrent use.
//
// Cost of an Add for us: one signature recovery (none for a tx already
// held), one state read of the sender, O(MaxNonceGap) work on the
// sender's txs, O(log senders) per eviction of a runnable tx and
// O(senders with queued txs) ≤ MaxTxs/8 map steps per eviction of a
// queued one.
type Mempool struct {
	c   Chain
	cfg Config
	log *slog.Logger

	maxQueued, maxQueuedBytes int

	mu          sync.Mutex
	all         map[common.Hash]*poolTx
	accounts    map[common.Address]*account
	tails       tailHeap                    // accounts with runnable txs, by their last runnable tx (evict.go)
	waiting     map[common.Address]*account // accounts with queued txs
	bytes       int
	queued      int // txs behind a nonce gap
	queuedBytes int
	seq         uint64
	onAdd       []func(*proto.Tx)
	dropped     *droppedSet // dropped.go
}

type poolTx struct {
	tx     *proto.Tx
	sender common.Address
	cost   uint64
	seq    uint64    // arrival order: of two equal prices the newer goes first
	added  time.Time // by the chain's clock, for queueLifetime
}

// account is one sender's txs with what the pool last read of its state.
type account struct {
	addr    common.Address
	nonce   uint64 // account nonce at the head
	balance uint64 // balance at the head
	txs     map[uint64]*poolTx
	run     int    // txs[nonce .. nonce+run-1] are runnable; the rest are queued
	cost    uint64 // Σ cost of txs: ≤ balance
	maxN    uint64 // highest nonce in txs
	qn      int    // number of queued txs, as of the last fixLocked
	qbytes  int    // bytes of the queued txs
	heapIdx int    // index in Mempool.tails, -1 when run == 0
}

func (a *account) queuedCount() int { return a.qn }

// tail is the last runnable tx (run > 0).
func (a *account) tail() *poolTx { return a.txs[a.nonce+uint64(a.run)-1] }

// isQueued reports whether the tx with nonce n waits behind a gap.
func (a *account) isQueued(n uint64) bool { return n >= a.nonce+uint64(a.run) }

// New returns an empty mempool over c's head state; it follows the head
// by subscribing to the chain. It starts no goroutine: Add runs on its
// caller's, the head updates on the chain's event delivery.
func New(c Chain, cfg Config) *Mempool {
	if cfg.MaxTxs <= 0 {
		cfg.MaxTxs = DefaultMaxTxs
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = 32 << 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	mp := &Mempool{c: c, cfg: cfg, log: cfg.Logger, maxQueued: max(1, cfg.MaxTxs/8), maxQueuedBytes: cfg.MaxBytes / 8,
		all: map[common.Hash]*poolTx{}, accounts: map[common.Address]*account{}, waiting: map[common.Address]*account{},
		dropped: newDropped()}
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
	sender, err := chain.CheckTx(tx, mp.c.Genesis())
	if err != nil {
		return err
	}
	st, _, release, err := mp.c.StateView()
	if err != nil {
		return err
	}
	defer release()
	mp.mu.Lock()
	err = mp.addLocked(st, tx, sender, false)
	hooks := mp.onAdd
	mp.mu.Unlock()
	if err == nil {
		for _, f := range hooks {
			f(tx)
		}
	}
	return err
}

// addLocked adds a checked tx. back marks a tx of an abandoned block: the
// cost cap is then enforced afterwards over all of the sender's txs in
// nonce order (onHead), so that the old pending txs above it do not keep
// it out. MUST be called with mp.mu held.
func (mp *Mempool) addLocked(st *state.State, tx *proto.Tx, sender common.Address, back bool) error {
	h := tx.Hash()
	if _, ok := mp.all[h]; ok {
		return ErrKnownTx
	}
	acct, err := st.Account(sender)
	if err != nil {
		return err
	}
	if tx.Nonce < acct.Nonce {
		return ruleErr(chain.ErrNonceTooLow, "tx %s: nonce %d, account at %d", h, tx.Nonce, acct.Nonce)
	}
	if tx.Nonce > acct.Nonce+MaxNonceGap {
		return ruleErr(chain.ErrNonceTooHigh, "tx %s: nonce %d is more than %d ahead of the account's %d", h, tx.Nonce, MaxNonceGap, acct.Nonce)
	}
	a := mp.accounts[sender]
	if a == nil {
		a = &account{addr: sender, txs: map[uint64]*poolTx{}, heapIdx: -1}
	}
	if a.nonce != acct.Nonce || a.balance != acct.Balance {
		// The head moved since the pool last looked (onHead follows).
		a.nonce, a.balance = acct.Nonce, acct.Balance
		if len(a.txs) > 0 {
			mp.fixLocked(a)
		}
	}
	cost, _ := tx.Cost() // chain.CheckTx: no overflow
	old := a.txs[tx.Nonce]
	if old != nil && !replaces(tx.GasPrice, old.tx.GasPrice) {
		return fmt.Errorf("%w (pending %s pays %d)", ErrReplaceUnderpriced, old.tx.Hash(), old.tx.GasPrice)
	}
	p := &poolTx{tx: tx, sender: sender, cost: cost, seq: mp.seq, added: mp.c.Now()}
	mp.seq++
	queued := tx.Nonce > a.nonce+uint64(a.run) // above a missing nonce (a replacement keeps its place)
	own, err := mp.capLocked(a, p, old, back)
	if err != nil {
		return err
	}
	if queued && old == nil && a.queuedCount()-len(own) >= MaxQueuedPerSender {
		// A sender's queued txs nearest to running stay: a lower nonce
		// takes the place of its highest.
		top := a.maxN
		if len(own) > 0 { // the cost cap evicts a suffix of the nonces already
			nonces := sortedNonces(a.txs)
			top = nonces[len(nonces)-len(own)-1]
		}
		if tx.Nonce > top {
			return fmt.Errorf("%w: %s has %d txs waiting behind a nonce gap (nonce %d missing)", ErrMempoolFull,
				sender, a.queuedCount(), a.nonce+uint64(a.run))
		}
		own = append(own, victim{a.txs[top], a, fmt.Sprintf("evicted: its sender has %d txs waiting behind a nonce gap and %s has a lower nonce", MaxQueuedPerSender, h)})
	}
	// Make room, evicting what the rules allow; nothing changes unless
	// the newcomer then fits (a replacement that does not fit leaves the
	// original in place).
	victims, err := mp.makeRoomLocked(a, p, old, queued, own)
	if err != nil {
		return err
	}
	for _, v := range victims {
		mp.dropped.add(DroppedTx{Tx: v.p.tx, Sender: v.p.sender, Reason: v.why})
	}
	if old != nil {
		mp.drop(old, "replaced by %s paying gas price %d (it paid %d)", h, tx.GasPrice, old.tx.GasPrice)
	}
	mp.insertLocked(a, p)
	mp.dropped.remove(h)
	return nil
}

// capLocked applies the cost cap to newcomer p (old, if set, is the tx it
// replaces): the sender's txs below p's nonce and p must be payable
// together, else p is refused. A new tx (not a replacement) then takes the
// funds of the sender's higher nonces that no longer fit: they are
// returned, highest last, for makeRoomLocked to evict; a replacement must
// fit with all of them. back (a tx of an abandoned block) skips the cap:
// onHead enforces it afterwards. O(len(a.txs)). MUST be called with mp.mu
// held.
func (mp *Mempool) capLocked(a *account, p *poolTx, old *poolTx, back bool) ([]victim, error) {
	if back {
		return nil, nil
	}
	h, n := p.tx.Hash(), p.tx.Nonce
	nonces := sortedNonces(a.txs)
	need := p.cost
	for _, m := range nonces {
		if m < n && m >= a.nonce { // (a nonce below the account's was mined: onHead removes it)
			need += a.txs[m].cost // ≤ the balance: no overflow
		}
	}
	if need > a.balance {
		return nil, ruleErr(chain.ErrInsufficientFunds, "tx %s: insufficient funds for the pending set: %s holds %d, its lower nonces in the mempool and this tx cost %d",
			h, a.addr, a.balance, need)
	}
	var own []victim
	for _, m := range nonces {
		if m <= n {
			continue
		}
		q := a.txs[m]
		s, ok := proto.AddU64(need, q.cost)
		if ok && s <= a.balance && len(own) == 0 {
			need = s
			continue
		}
		if old != nil {
			return nil, ruleErr(chain.ErrInsufficientFunds, "tx %s: insufficient funds for the pending set: %s holds %d, its txs in the mempool with this replacement cost more",
				h, a.addr, a.balance)
		}
		own = append(own, victim{q, a, fmt.Sprintf("insufficient funds for the pending set: %s has the lower nonce %d and the sender cannot pay both", h, n)})
	}
	return own, nil
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

// insertLocked puts p into the pool under a (and a into the pool). MUST be
// called with mp.mu held.
func (mp *Mempool) insertLocked(a *account, p *poolTx) {
	mp.accounts[a.addr] = a
	a.txs[p.tx.Nonce] = p
	a.cost += p.cost
	mp.all[p.tx.Hash()] = p
	mp.bytes += p.tx.Size()
	mp.fixLocked(a)
}

// removeLocked takes p out of the pool (its sender's txs above it may
// become queued). MUST be called with mp.mu held.
func (mp *Mempool) removeLocked(p *poolTx) {
	a := mp.accounts[p.sender]
	delete(mp.all, p.tx.Hash())
	delete(a.txs, p.tx.Nonce)
	a.cost -= p.cost
	mp.bytes -= p.tx.Size()
	mp.fixLocked(a)
}

// fixLocked recomputes a's runnable prefix, its queued counts and its
// places in the eviction structures after a change to its txs or its
// account nonce; an account without txs is forgotten. O(len(a.txs)),
// at most MaxNonceGap+1. MUST be called with mp.mu held.
func (mp *Mempool) fixLocked(a *account) {
	mp.queued -= a.qn
	mp.queuedBytes -= a.qbytes
	a.run, a.qbytes, a.maxN = 0, 0, 0
	for a.txs[a.nonce+uint64(a.run)] != nil {
		a.run++
	}
	a.qn = 0
	for n, p := range a.txs {
		a.maxN = max(a.maxN, n)
		if a.isQueued(n) { // not a nonce below the account's that onHead has yet to remove
			a.qn++
			a.qbytes += p.tx.Size()
		}
	}
	mp.queued += a.qn
	mp.queuedBytes += a.qbytes
	switch {
	case a.run == 0 && a.heapIdx >= 0:
		heap.Remove(&mp.tails, a.heapIdx)
	case a.run > 0 && a.heapIdx < 0:
		heap.Push(&mp.tails, a)
	case a.run > 0:
		heap.Fix(&mp.tails, a.heapIdx)
	}
	if a.queuedCount() > 0 {
		mp.waiting[a.addr] = a
	} else {
		delete(mp.waiting, a.addr)
	}
	if len(a.txs) == 0 && mp.accounts[a.addr] == a {
		delete(mp.accounts, a.addr)
	}
}

// onHead follows the chain: each sender's state is read again (txs whose
// nonce a block used leave: silently when included, with a reason when
// another tx used it), txs of abandoned blocks come back, then the cost
// cap, the queue bounds and the queue lifetime are enforced. O(txs in the
// pool) plus one state read per sender.
func (mp *Mempool) onHead(ev *blockchain.HeadEvent) {
	st, _, release, err := mp.c.StateView()
	if err != nil {
		mp.log.Error("mempool: state view", "err", err)
		return
	}
	defer release()
	mp.mu.Lock()
	defer mp.mu.Unlock()
	included := map[common.Hash]bool{}
	for _, b := range ev.Connected {
		for _, tx := range b.Txs {
			if p := mp.all[tx.Hash()]; p != nil {
				included[tx.Hash()] = true
			}
		}
	}
	for _, a := range mp.accounts {
		acct, err := st.Account(a.addr)
		if err != nil {
			continue
		}
		a.nonce, a.balance = acct.Nonce, acct.Balance
		for n, p := range a.txs {
			if n >= acct.Nonce {
				continue
			}
			delete(a.txs, n)
			delete(mp.all, p.tx.Hash())
			a.cost -= p.cost
			mp.bytes -= p.tx.Size()
			if !included[p.tx.Hash()] {
				mp.dropped.add(DroppedTx{p.tx, p.sender, fmt.Sprintf("nonce %d was used by another tx (the account is at %d)", n, acct.Nonce)})
			}
		}
		mp.fixLocked(a)
	}
	// Oldest abandoned block first, so that a sender's txs come back in
	// nonce order.
	for i := len(ev.Disconnected) - 1; i >= 0; i-- {
		for _, tx := range ev.Disconnected[i].Txs {
			sender, err := chain.Sender(tx)
			if err == nil {
				err = mp.addLocked(st, tx, sender, true) // still valid on the new head, or gone
			}
			if err != nil && !errors.Is(err, ErrKnownTx) {
				if _, notInNew := mp.c.Tx(tx.Hash()); notInNew != nil { // the new branch does not include it
					mp.dropped.add(DroppedTx{tx, sender, fmt.Sprintf("its block was abandoned in a reorganisation and it is no longer valid: %v", err)})
				}
			}
		}
	}
	now := mp.c.Now()
	for _, a := range mp.accounts {
		mp.enforceLocked(a, now)
	}
	for mp.queued > mp.maxQueued || mp.queuedBytes > mp.maxQueuedBytes {
		v := mp.queuedVictimLocked(nil)
		if v == nil {
			break
		}
		mp.drop(v, "evicted: the nonce-gap queue was over its bound (%d txs, %d bytes) after a reorganisation", mp.maxQueued, mp.maxQueuedBytes)
	}
}

// enforceLocked drops what a's new state no longer allows: in nonce
// order, the first tx the balance cannot pay together with the ones below
// it and every tx above it; queued txs past MaxQueuedPerSender (the
// highest first) or older than queueLifetime. MUST be called with mp.mu
// held.
func (mp *Mempool) enforceLocked(a *account, now time.Time) {
	var sum uint64
	broke := false
	for _, n := range sortedNonces(a.txs) {
		p := a.txs[n]
		s, ok := proto.AddU64(sum, p.cost)
		switch {
		case broke:
			mp.drop(p, "a lower nonce of its sender can no longer be paid for, so it cannot run")
		case !ok || s > a.balance:
			broke = true
			mp.drop(p, "insufficient funds for the pending set: the sender holds %d, its txs up to this one cost %d", a.balance, s)
		case a.isQueued(n) && now.Sub(p.added) > queueLifetime:
			mp.drop(p, "it waited more than %v behind a nonce gap (nonce %d missing)", queueLifetime, a.nonce+uint64(a.run))
		default:
			sum = s
		}
	}
	for mp.accounts[a.addr] == a && a.queuedCount() > MaxQueuedPerSender {
		mp.drop(a.txs[a.maxN], "evicted: its sender had more than %d txs waiting behind a nonce gap", MaxQueuedPerSender)
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

// Get returns the tx with hash h, runnable or queued.
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

// Stats returns the number of txs (runnable and queued) and their total
// size in bytes.
func (mp *Mempool) Stats() (count, bytes int) {
	mp.mu.Lock()
	defer mp.mu.Unlock()
	return len(mp.all), mp.bytes
}

// Queued returns the number of txs waiting behind a nonce gap and their
// size in bytes (part of Stats).
func (mp *Mempool) Queued() (count, bytes int) {
	mp.mu.Lock()
	defer mp.mu.Unlock()
	return mp.queued, mp.queuedBytes
}

// PendingNonce returns the next nonce for sender given its pending txs:
// one past the highest contiguous pending nonce, or the account nonce.
func (mp *Mempool) PendingNonce(sender common.Address, accountNonce uint64) uint64 {
	mp.mu.Lock()
	defer mp.mu.Unlock()
	n := accountNonce
	if a := mp.accounts[sender]; a != nil {
		for a.txs[n] != nil {
			n++
		}
	}
	return n
}

// Pending returns the runnable txs in the order a miner takes them: by gas
// price, each sender's in nonce order (a sender's next tx competes with its
// price; ties go to the lower tx hash, for determinism). Queued txs are
// not in it.
func (mp *Mempool) Pending() []*proto.Tx {
	mp.mu.Lock()
	queues := make([][]*proto.Tx, 0, len(mp.tails))
	for _, a := range mp.tails {
		q := make([]*proto.Tx, a.run)
		for i := range q {
			q[i] = a.txs[a.nonce+uint64(i)].tx
		}
		queues = append(queues, q)
	}
	mp.mu.Unlock()
	return mergeByPrice(queues)
}

// ruleErr is a broken rule found against the pool's view of the state.
func ruleErr(c chain.ErrorCode, format string, args ...any) error {
	return &chain.RuleError{Code: c, Detail: fmt.Sprintf(format, args...)}
}
