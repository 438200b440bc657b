package blockchain

import (
	"sync"

	"github.com/tinychain/tinychain/proto"
)

// maxMergedBlocks bounds the blocks a merged event holds (Connected and
// Disconnected each): a listener stuck behind a long sync costs at most
// that many block pointers; past it the oldest are left out.
const maxMergedBlocks = 4096

// Subscribe registers f to hear every head change on a goroutine of its
// own, off the importer's path: events queue for it (at most
// ImporterConfig.ListenerQueue); when it lags further, each newer event
// is merged into the last queued one (coalesce, never block, never drop a
// head): the merged event's Head is the newest, Connected and Stats hold
// the blocks of both in order, Disconnected both (newest first), each
// bounded by maxMergedBlocks. So a listener that only needs the newest
// head (SSE, publishing, the miner's restart) sees it, and one that
// counts blocks (metrics) or follows them (the mempool) misses none
// within the bound; event boundaries are what merging loses. f may read
// the chain; it must not wait for the importer. Subscribe may be called
// before or after Start; after Stop it registers nothing.
func (imp *Importer) Subscribe(f func(*HeadEvent)) {
	l := &listener{f: f, max: imp.cfg.ListenerQueue, wake: make(chan struct{}, 1)}
	imp.mu.Lock()
	defer imp.mu.Unlock()
	if imp.stopped {
		return
	}
	imp.listeners = append(imp.listeners, l)
	if imp.started {
		imp.wg.Go(func() { l.run(imp.stop) })
	}
}

// fanOut hands ev to every listener's queue. It runs as a Chain listener,
// on the goroutine that moved the head (the importer's), and never waits
// for a listener.
func (imp *Importer) fanOut(ev *HeadEvent) {
	imp.mu.Lock()
	ls := imp.listeners
	imp.mu.Unlock()
	for _, l := range ls {
		l.post(ev)
	}
}

// listener is one subscriber's bounded queue of head events.
type listener struct {
	f    func(*HeadEvent)
	max  int
	wake chan struct{} // a token when the queue became non-empty

	mu     sync.Mutex // a leaf lock: nothing is called with it held
	queue  []*HeadEvent
	merged bool // queue's last event is a merge of our own (safe to extend)
}

func (l *listener) post(ev *HeadEvent) {
	l.mu.Lock()
	if len(l.queue) < l.max {
		l.queue = append(l.queue, ev)
		l.merged = false
	} else {
		last := len(l.queue) - 1
		if !l.merged {
			l.queue[last] = copyEvent(l.queue[last])
			l.merged = true
		}
		mergeInto(l.queue[last], ev)
	}
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

func (l *listener) run(stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		case <-l.wake:
		}
		for ev := l.next(); ev != nil; ev = l.next() {
			select {
			case <-stop:
				return
			default:
			}
			l.f(ev)
		}
	}
}

// next takes the oldest queued event, or nil. It takes one at a time, so
// the event f is running counts against the queue's bound: taking the
// whole queue let a stuck listener lag by twice ListenerQueue.
func (l *listener) next() *HeadEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.queue) == 0 {
		return nil
	}
	ev := l.queue[0]
	l.queue[0] = nil
	l.queue = l.queue[1:]
	if len(l.queue) == 0 {
		l.merged = false
	}
	return ev
}

// copyEvent returns a copy of ev whose slices are its own: events are
// shared by all listeners, a merge must not change the others' copy.
func copyEvent(ev *HeadEvent) *HeadEvent {
	return &HeadEvent{
		Head:         ev.Head,
		Connected:    append([]*proto.Block(nil), ev.Connected...),
		Stats:        append([]ConnectStats(nil), ev.Stats...),
		Disconnected: append([]*proto.Block(nil), ev.Disconnected...),
	}
}

// mergeInto makes dst (a copy of our own) stand for itself followed by ev.
func mergeInto(dst, ev *HeadEvent) {
	dst.Head = ev.Head
	dst.Connected = append(dst.Connected, ev.Connected...)
	dst.Stats = append(dst.Stats, ev.Stats...)
	// Newest first: ev's abandoned blocks came after dst's.
	dst.Disconnected = append(append([]*proto.Block(nil), ev.Disconnected...), dst.Disconnected...)
	if k := len(dst.Connected) - maxMergedBlocks; k > 0 {
		dst.Connected = append(dst.Connected[:0:0], dst.Connected[k:]...)
		if len(dst.Stats) >= k {
			dst.Stats = append(dst.Stats[:0:0], dst.Stats[k:]...)
		}
	}
	if len(dst.Disconnected) > maxMergedBlocks {
		dst.Disconnected = dst.Disconnected[:maxMergedBlocks]
	}
}
