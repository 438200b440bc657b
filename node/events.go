package node

import (
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/tinychain/tinychain/chain/blockchain"
	"github.com/tinychain/tinychain/chain/mempool"
	"github.com/tinychain/tinychain/proto"
)

// GET /v1/events is a server-sent event stream (text/event-stream) of
//
//	event: head   data: the new head block, as GET /v1/blocks/{id} (tx hashes)
//	event: tx     data: a tx that entered the mempool, as plain Tx JSON (no receipt yet)
//
// with a comment line every 15 s to keep proxies from closing it. A client
// that cannot keep up loses events rather than slowing the node: it should
// re-read /v1/status after a gap.

const (
	maxEventStreams = 64  // concurrent /v1/events clients
	eventBuffer     = 256 // events queued per client before it misses some
	keepAlive       = 15 * time.Second
)

type event struct {
	name string
	data []byte
}

// events fans chain and mempool events out to the streams.
type events struct {
	mu      sync.Mutex
	streams map[chan event]struct{}
}

func newEvents(c *blockchain.Chain, imp *blockchain.Importer, pool *mempool.Mempool) *events {
	e := &events{streams: map[chan event]struct{}{}}
	// Only the newest head matters to a stream: a listener that lags
	// gets merged events, whose Head is the newest (Importer.Subscribe).
	imp.Subscribe(func(ev *blockchain.HeadEvent) {
		if !e.any() {
			return
		}
		info, _ := c.HeaderByHash(ev.Head.Hash())
		e.publish("head", NewBlock(ev.Head, info, false, 0))
	})
	pool.OnAdd(func(tx *proto.Tx) {
		if e.any() {
			e.publish("tx", NewTx(tx))
		}
	})
	return e
}

func (e *events) any() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.streams) > 0
}

func (e *events) publish(name string, v any) {
	data, err := marshalJSON(v)
	if err != nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for ch := range e.streams {
		select {
		case ch <- event{name, data}:
		default: // this client is behind: it misses the event
		}
	}
}

func (e *events) subscribe() (chan event, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.streams) >= maxEventStreams {
		return nil, false
	}
	ch := make(chan event, eventBuffer)
	e.streams[ch] = struct{}{}
	return ch, true
}

func (e *events) unsubscribe(ch chan event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.streams, ch)
}

func (n *Node) handleEvents(w http.ResponseWriter, r *http.Request) {
	ch, ok := n.events.subscribe()
	if !ok {
		writeError(w, http.StatusServiceUnavailable, fmt.Errorf("too many event streams (%d)", maxEventStreams))
		return
	}
	defer n.events.unsubscribe(ch)
	rc := http.NewResponseController(w)
	// The server's write timeout is for ordinary requests; a stream lives on.
	_ = rc.SetWriteDeadline(time.Time{})
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	if _, err := fmt.Fprint(w, ": tinychain events\n\n"); err != nil || rc.Flush() != nil {
		return
	}
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
	for {
		var err error
		select {
		case <-r.Context().Done():
			return
		case <-n.stop:
			return
		case ev := <-ch:
			_, err = fmt.Fprintf(w, "event: %s\ndata: %s\n\n", ev.name, ev.data)
		case <-tick.C:
			_, err = fmt.Fprint(w, ": keep-alive\n\n")
		}
		if err != nil || rc.Flush() != nil {
			return
		}
	}
}
