package vm_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/tinychain/tinychain/vm"
)

// TestCacheEvicts: the cache holds at most its size, dropping the least
// recently used program.
func TestCacheEvicts(t *testing.T) {
	c := vm.NewCache(2, 0)
	code := []byte("+.")
	p1, _ := c.Get([32]byte{1}, code, 1e6)
	p2, _ := c.Get([32]byte{2}, code, 1e6)
	if again, _ := c.Get([32]byte{1}, code, 1e6); again != p1 { // 1 is now the most recent
		t.Fatal("miss on a cached key")
	}
	c.Get([32]byte{3}, code, 1e6) // evicts 2
	if again, _ := c.Get([32]byte{1}, code, 1e6); again != p1 {
		t.Fatal("the most recently used program was evicted")
	}
	if again, _ := c.Get([32]byte{2}, code, 1e6); again == p2 {
		t.Fatal("the least recently used program was kept")
	}
}

// TestCacheConcurrent: many goroutines share the cache and its programs
// (run with -race).
func TestCacheConcurrent(t *testing.T) {
	c := vm.NewCache(4, 0)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				key := [32]byte{byte((g + i) % 6)}
				p, err := c.Get(key, []byte("++[>+++<-]>."), 1e6)
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

// TestCacheBytes: the cache holds at most its byte bound of programs, and
// a run with little gas for its code's size gets the loaded (uncompiled)
// form, which is not cached.
func TestCacheBytes(t *testing.T) {
	code := []byte(strings.Repeat("+>", 1000))
	p, err := vm.Compile(code)
	if err != nil {
		t.Fatal(err)
	}
	c := vm.NewCache(100, 3*p.Footprint())
	for i := range 10 {
		if _, err := c.Get([32]byte{byte(i)}, code, 1e9); err != nil {
			t.Fatal(err)
		}
	}
	if n, b := c.Len(); n != 3 || b != 3*p.Footprint() {
		t.Fatalf("cache holds %d programs, %d bytes; want 3, %d", n, b, 3*p.Footprint())
	}
	small, err := c.Get([32]byte{99}, code, vm.CompileRatio*uint64(len(code))-1)
	if err != nil {
		t.Fatal(err)
	}
	if small.Compiled() {
		t.Fatal("a run with less than CompileRatio gas per byte compiled its code")
	}
	if n, _ := c.Len(); n != 3 {
		t.Fatalf("the loaded program was cached: %d entries", n)
	}
	var t1, t2 vm.Tape
	r1, r2 := small.Run(&t1, nil, vm.Limits{Gas: 5000}), p.Run(&t2, nil, vm.Limits{Gas: 5000})
	if r1.GasUsed != r2.GasUsed || r1.Status != r2.Status || t1 != t2 {
		t.Fatalf("loaded %v/%d, compiled %v/%d", r1.Status, r1.GasUsed, r2.Status, r2.GasUsed)
	}
}
