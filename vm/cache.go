package vm

import (
	"container/list"
	"sync"
)

// CompileRatio is the gas per code byte from which a run compiles its code
// (and caches the program) on a cache miss. Compiling costs up to a few
// hundred ns per byte (BenchmarkCompile) and saves a few ns per gas over
// the plain interpreter, so below this ratio the plain interpreter on the
// loaded code (Load) is cheaper, and a run's time stays a small multiple
// of its gas whatever the code: at most a few ns per gas either way.
// Either form gives the exact same result; this is not a consensus rule.
const CompileRatio = 64

// Cache keeps compiled programs by code hash, so a contract is compiled
// once however often it is called. It is bounded by entries and by the
// programs' memory (Program.Footprint), least recently used out, and safe
// for concurrent use. The caller supplies the key, e.g. the Keccak-256 of
// the code, which the chain already has as the code hash.
type Cache struct {
	mu       sync.Mutex
	max      int
	maxBytes int
	bytes    int
	order    *list.List // front: most recent; values are *cacheEntry
	items    map[[32]byte]*list.Element
}

type cacheEntry struct {
	key  [32]byte
	prog *Program
}

// NewCache returns a cache of up to entries programs holding up to
// maxBytes of them (Program.Footprint; 0: no byte bound).
func NewCache(entries, maxBytes int) *Cache {
	if entries < 1 {
		entries = 1
	}
	return &Cache{max: entries, maxBytes: maxBytes, order: list.New(), items: make(map[[32]byte]*list.Element)}
}

// Get returns the program for key. On a miss it compiles code and caches
// the program when the run's gas is at least CompileRatio per code byte;
// otherwise it returns code loaded, not compiled, and caches nothing.
func (c *Cache) Get(key [32]byte, code []byte, gas uint64) (*Program, error) {
	c.mu.Lock()
	if e, ok := c.items[key]; ok {
		c.order.MoveToFront(e)
		p := e.Value.(*cacheEntry).prog
		c.mu.Unlock()
		return p, nil
	}
	c.mu.Unlock()
	p, err := Prepare(code, gas)
	if err != nil || !p.Compiled() {
		return p, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		return e.Value.(*cacheEntry).prog, nil
	}
	size := p.Footprint()
	if c.maxBytes > 0 && size > c.maxBytes {
		return p, nil // too big to keep
	}
	c.items[key] = c.order.PushFront(&cacheEntry{key, p})
	c.bytes += size
	for c.order.Len() > c.max || (c.maxBytes > 0 && c.bytes > c.maxBytes) {
		old := c.order.Back()
		c.order.Remove(old)
		e := old.Value.(*cacheEntry)
		delete(c.items, e.key)
		c.bytes -= e.prog.Footprint()
	}
	return p, nil
}

// Prepare returns code compiled when a run of gas repays compiling it (at
// least CompileRatio gas per code byte), else loaded (Load).
func Prepare(code []byte, gas uint64) (*Program, error) {
	if gas/CompileRatio < uint64(len(code)) {
		return Load(code)
	}
	return Compile(code)
}

// Cached returns the program cached under key, or nil.
func (c *Cache) Cached(key [32]byte) *Program {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		c.order.MoveToFront(e)
		return e.Value.(*cacheEntry).prog
	}
	return nil
}

// Len returns the number of programs held and their footprint in bytes.
func (c *Cache) Len() (entries, bytes int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len(), c.bytes
}
