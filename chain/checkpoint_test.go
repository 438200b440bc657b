package chain_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/internal/testchain"
)

func TestCheckpointFields(t *testing.T) {
	g := testchain.Genesis()
	var withCP chain.Genesis
	b, _ := json.Marshal(g)
	var m map[string]any
	json.Unmarshal(b, &m)
	if _, ok := m["checkpoints"]; ok {
		t.Fatal("an unset checkpoints field is written")
	}
	m["checkpoints"] = []map[string]any{{"height": 5, "hash": common.Hash{5}.Hex()}, {"height": 9, "hash": common.Hash{9}.Hex()}}
	m["min_chain_work"] = "0x100"
	b, _ = json.Marshal(m)
	if err := json.Unmarshal(b, &withCP); err != nil {
		t.Fatal(err)
	}
	if err := withCP.Check(); err != nil {
		t.Fatal(err)
	}
	if withCP.MinWork().Int64() != 256 || g.MinWork().Sign() != 0 {
		t.Fatalf("min work %v / %v", withCP.MinWork(), g.MinWork())
	}
	if err := withCP.CheckCheckpoint(5, common.Hash{5}); err != nil {
		t.Fatal(err)
	}
	if err := withCP.CheckCheckpoint(5, common.Hash{6}); !errors.Is(err, chain.ErrCheckpoint) {
		t.Fatalf("another block at a checkpoint: %v", err)
	}
	if err := withCP.CheckCheckpoint(6, common.Hash{6}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		fork, head uint64
		bad        bool
	}{{0, 4, false}, {4, 5, true}, {5, 9, true}, {9, 100, false}, {6, 8, false}} {
		if err := withCP.CheckForkPoint(tc.fork, tc.head); (err != nil) != tc.bad {
			t.Errorf("fork at %d with head %d: %v", tc.fork, tc.head, err)
		}
	}
	for _, bad := range [][]chain.Checkpoint{{{Height: 0, Hash: common.Hash{1}}}, {{Height: 3}},
		{{Height: 3, Hash: common.Hash{1}}, {Height: 3, Hash: common.Hash{2}}}} {
		bg := *g
		bg.Checkpoints = bad
		if err := bg.Check(); err == nil {
			t.Errorf("checkpoints %v accepted", bad)
		}
	}
}
