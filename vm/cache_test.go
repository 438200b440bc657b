package vm_test

import (
	"sync"
	"testing"

	"github.com/tinychain/tinychain/vm"
)

// TestCacheEvicts: the cache holds at most its size, dropping the least
// recently used program.
func TestCacheEvicts(t *testing.T) {
	c := vm.NewCache(2)
	code := []byte("+.")
	p1, _ := c.Get([32]byte{1}, code)
	p2, _ := c.Get([32]byte{2}, code)
	if again, _ := c.Get([32]byte{1}, code); again != p1 { // 1 is now the most recent
		t.Fatal("miss on a cached key")
	}
	c.Get([32]byte{3}, code) // evicts 2
	if again, _ := c.Get([32]byte{1}, code); again != p1 {
		t.Fatal("the most recently used program was evicted")
	}
	if again, _ := c.Get([32]byte{2}, code); again == p2 {
		t.Fatal("the least recently used program was kept")
	}
}

// TestCacheConcurrent: many goroutines share the cache and its programs
// (run with -race).
func TestCacheConcurrent(t *testing.T) {
	c := vm.NewCache(4)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				key := [32]byte{byte((g + i) % 6)}
				p, err := c.Get(key, []byte("++[>+++<-]>."))
				if err != nil {
					t.Error(err)
					return
				}
				var tape vm.Tape
				if r := p.Run(&tape, nil, vm.Limits{Gas: 1000}); string(r.Output) != "\x06" {
					t.Errorf("output %q", r.Output)
					return
				}
			}
		}()
	}
	wg.Wait()
}
