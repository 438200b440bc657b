package miner

import (
	"errors"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/chain/blockchain"
	"github.com/tinychain/tinychain/proto"
)

// blockOverhead bounds the bytes a block's encoding adds to its txs':
// the header and the list prefixes.
const blockOverhead = proto.MaxHeaderSize + 16

// Assemble builds a block on the template from candidates (in the order
// they should be taken): each tx that still applies on the state and fits
// the gas and byte limits is included; a tx that fails is skipped with the
// rest of its sender's. The header is complete but for the nonce, which
// the miner searches. The template's state is used up.
func Assemble(tpl *blockchain.Template, g *chain.Genesis, miner common.Address, timestamp uint64, candidates []*proto.Tx) (*proto.Block, []*proto.Receipt, error) {
	if timestamp < tpl.MinTime {
		timestamp = tpl.MinTime
	}
	st := tpl.State
	pool := chain.GasPool(g.BlockGasLimit)
	var fees uint64
	var txs []*proto.Tx
	var receipts []*proto.Receipt
	size := blockOverhead
	skip := map[common.Address]bool{}
	for _, tx := range candidates {
		if uint64(pool) < chain.TxGas {
			break
		}
		sender, err := chain.Sender(tx)
		if err != nil || skip[sender] {
			continue
		}
		if size+tx.Size()+8 > g.MaxBlockBytes {
			continue
		}
		r, err := chain.ApplyTx(st, tx, sender, &pool, &fees)
		if err != nil {
			var re *chain.RuleError
			if !errors.As(err, &re) {
				return nil, nil, err
			}
			if re.Code != chain.ErrBlockGasLimit {
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
		return nil, nil, &chain.RuleError{Code: chain.ErrOverflow, Detail: "reward + fees overflow"}
	}
	if err := chain.AddBalance(st, miner, pay); err != nil {
		return nil, nil, err
	}
	root, err := st.Root()
	if err != nil {
		return nil, nil, err
	}
	b := &proto.Block{Header: proto.Header{
		Version:      chain.HeaderVersion,
		Height:       height,
		PrevHash:     tpl.Hash,
		Timestamp:    timestamp,
		Target:       common.BigToHash(tpl.Target),
		Miner:        miner,
		TxRoot:       chain.TxRoot(txs),
		StateRoot:    root,
		ReceiptsRoot: chain.ReceiptsRoot(receipts),
	}, Txs: txs}
	return b, receipts, nil
}
