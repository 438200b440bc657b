package mempool

import (
	"container/heap"

	"github.com/tinychain/tinychain/proto"
)

// mergeByPrice merges per-sender queues (each in nonce order) into one
// list, always taking next the highest-priced queue head.
func mergeByPrice(queues [][]*proto.Tx) []*proto.Tx {
	h := &priceHeap{}
	n := 0
	for _, q := range queues {
		if len(q) > 0 {
			*h = append(*h, q)
			n += len(q)
		}
	}
	heap.Init(h)
	out := make([]*proto.Tx, 0, n)
	for h.Len() > 0 {
		q := (*h)[0]
		out = append(out, q[0])
		if len(q) == 1 {
			heap.Pop(h)
		} else {
			(*h)[0] = q[1:]
			heap.Fix(h, 0)
		}
	}
	return out
}

type priceHeap [][]*proto.Tx

func (h priceHeap) Len() int { return len(h) }
func (h priceHeap) Less(i, j int) bool {
	a, b := h[i][0], h[j][0]
	if a.GasPrice != b.GasPrice {
		return a.GasPrice > b.GasPrice
	}
	ha, hb := a.Hash(), b.Hash()
	return ha.Cmp(hb) < 0
}
func (h priceHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *priceHeap) Push(x any)   { *h = append(*h, x.([]*proto.Tx)) }
func (h *priceHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
