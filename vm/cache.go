package vm

import (
	"container/list"
	"sync"
)

// Cache keeps compiled programs by code hash, so a contract is compiled
// once however often it is called. It is bounded (least recently used out)
// and safe for concurrent use. The caller supplies the key, e.g. the
// Keccak-256 of the code, which the chain already has as the code hash.
type Cache struct {
	mu    sync.Mutex
	max   int
	order *list.List // front: most recent; values are *cacheEntry
	items map[[32]byte]*list.Element
}

type cacheEntry struct {
	key  [32]byte
	prog *Program
}

// NewCache returns a cache of up to entries programs.
func NewCache(entries int) *Cache {
	if entries < 1 {
		entries = 1
	}
	return &Cache{max: entries, order: list.New(), items: make(map[[32]byte]*list.Element)}
}

// Get returns the program for key, compiling code on a miss.
func (c *Cache) Get(key [32]byte, code []byte) (*Program, error) {
	c.mu.Lock()
	if e, ok := c.items[key]; ok {
		c.order.MoveToFront(e)
		p := e.Value.(*cacheEntry).prog
		c.mu.Unlock()
		return p, nil
	}
	c.mu.Unlock()
	p, err := Compile(code)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		return e.Value.(*cacheEntry).prog, nil
	}
	c.items[key] = c.order.PushFront(&cacheEntry{key, p})
	if c.order.Len() > c.max {
		old := c.order.Back()
		c.order.Remove(old)
		delete(c.items, old.Value.(*cacheEntry).key)
	}
	return p, nil
}
