package main

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/tinychain/tinychain/node"
)

type watchCmd struct {
	rpcFlags
	Heads bool `help:"Only new heads."`
	Txs   bool `help:"Only txs entering the mempool."`
}

// Run follows GET /v1/events until Ctrl-C: a line per new head and per tx
// entering the mempool, or with --json each event as one JSON line
// {"event": "head"|"tx", "data": ...}.
func (c *watchCmd) Run(e *env) error {
	heads, txs := c.Heads || !c.Txs, c.Txs || !c.Heads
	err := c.client().Events(e.ctx, func(name string, data []byte) error {
		if (name == "head" && !heads) || (name == "tx" && !txs) || (name != "head" && name != "tx") {
			return nil
		}
		if c.JSON {
			line, err := json.Marshal(struct {
				Event string          `json:"event"`
				Data  json.RawMessage `json:"data"`
			}{name, data})
			if err != nil {
				return err
			}
			_, err = e.stdout.Write(append(line, '\n'))
			return err
		}
		return printEvent(e, name, data)
	})
	if errors.Is(err, context.Canceled) {
		return nil // Ctrl-C is how watch ends
	}
	return err
}

func printEvent(e *env, name string, data []byte) error {
	switch name {
	case "head":
		var b node.Block
		if err := json.Unmarshal(data, &b); err != nil {
			return err
		}
		e.printf("head  %d %s %d txs %s miner %s\n", b.Height, b.Hash, b.TxCount,
			time.UnixMilli(int64(b.Timestamp)).UTC().Format(time.RFC3339), b.Miner)
	case "tx":
		var tx node.Tx
		if err := json.Unmarshal(data, &tx); err != nil {
			return err
		}
		e.printf("tx    %s %s %s nonce %d -> %s %s\n", tx.Hash, tx.Kind, tx.From.Hex(), tx.Nonce,
			addrOrDash(tx.To), tx.Value.String())
	}
	return nil
}
