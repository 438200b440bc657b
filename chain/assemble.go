package chain

import (
	"container/heap"
	"errors"

	"github.com/ethereum/go-ethereum/common"
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

// blockOverhead bounds the bytes a block's encoding adds to its txs':
// the header and the list prefixes.
const blockOverhead = proto.MaxHeaderSize + 16

// Assemble builds a block on the template from candidates (in the order
// they should be taken): each tx that still applies on the state and fits
// the gas and byte limits is included; a tx that fails is skipped with the
// rest of its sender's. The header is complete but for the nonce, which
// the miner searches. The template's state is used up.
func Assemble(tpl *Template, g *Genesis, miner common.Address, timestamp uint64, candidates []*proto.Tx) (*proto.Block, []*proto.Receipt, error) {
	if timestamp < tpl.MinTime {
		timestamp = tpl.MinTime
	}
	st := tpl.State
	pool := GasPool(g.BlockGasLimit)
	var fees uint64
	var txs []*proto.Tx
	var receipts []*proto.Receipt
	size := blockOverhead
	skip := map[common.Address]bool{}
	for _, tx := range candidates {
		if uint64(pool) < TxGas {
			break
		}
		sender, err := Sender(tx)
		if err != nil || skip[sender] {
			continue
		}
		if size+tx.Size()+8 > g.MaxBlockBytes {
			continue
		}
		r, err := ApplyTx(st, tx, sender, &pool, &fees)
		if err != nil {
			var re *RuleError
			if !errors.As(err, &re) {
				return nil, nil, err
			}
			if re.Code != ErrBlockGasLimit {
				skip[sender] = true
			}
			continue
		}
		txs = append(txs, tx)
		receipts = append(receipts, r)
		size += tx.Size() + 8
	}
	height := tpl.Parent.Height + 1
	pay, ok := proto.AddU64(g.Reward(height), fees)
	if !ok {
		return nil, nil, ruleErr(ErrOverflow, "reward + fees overflow")
	}
	if err := st.AddBalance(miner, pay); err != nil {
		return nil, nil, err
	}
	root, err := st.Root()
	if err != nil {
		return nil, nil, err
	}
	b := &proto.Block{Header: proto.Header{
		Version:      HeaderVersion,
		Height:       height,
		PrevHash:     tpl.Hash,
		Timestamp:    timestamp,
		Target:       common.BigToHash(tpl.Target),
		Miner:        miner,
		TxRoot:       TxRoot(txs),
		StateRoot:    root,
		ReceiptsRoot: ReceiptsRoot(receipts),
	}, Txs: txs}
	return b, receipts, nil
}
