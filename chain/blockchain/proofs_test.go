package blockchain_test

import (
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tinychain/tinychain/chain/blockchain"
	"github.com/tinychain/tinychain/chain/proof"
	"github.com/tinychain/tinychain/internal/testchain"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/wallet"
)

// TestProofWindow: the states of the last ProofWindow blocks are proven,
// older ones are refused with ErrOutsideWindow, and after a restart only
// the head's until new blocks refill the window.
func TestProofWindow(t *testing.T) {
	g := testchain.Genesis()
	dir := t.TempDir()
	tc := testchain.Open(t, g, dir)
	to := common.HexToAddress("0x00000000000000000000000000000000000000ee")
	if err := tc.C.ProcessBlock(tc.MineOnHead(wallet.DevAddress(9), testchain.Transfer(t, g, 0, 0, to, 5))); err != nil {
		t.Fatal(err)
	}
	for range blockchain.ProofWindow + 1 {
		if err := tc.C.ProcessBlock(tc.MineOnHead(wallet.DevAddress(9))); err != nil {
			t.Fatal(err)
		}
	}
	head := tc.C.Head().Header.Height
	prove := func(c *blockchain.Chain, height uint64) (*proof.AccountProof, error) {
		h, err := c.HashAt(height)
		if err != nil {
			t.Fatal(err)
		}
		p, _, err := c.AccountProof(to, h, false)
		if err == nil {
			if acct, err := proof.VerifyAccountAt(p, to, h); err != nil || (height >= 1) != (acct != nil) {
				t.Fatalf("proof at %d: %+v %v", height, acct, err)
			}
		}
		return p, err
	}
	if _, err := prove(tc.C, head-blockchain.ProofWindow+1); err != nil {
		t.Fatalf("oldest block in the window: %v", err)
	}
	if _, err := prove(tc.C, head-blockchain.ProofWindow); !errors.Is(err, blockchain.ErrOutsideWindow) {
		t.Fatalf("first block out of the window: %v", err)
	}
	if _, _, err := tc.C.AccountProof(to, common.Hash{1}, false); !errors.Is(err, blockchain.ErrNotFound) {
		t.Fatalf("unknown block: %v", err)
	}

	tc.C.Close()
	tc = testchain.Open(t, g, dir)
	if _, err := prove(tc.C, head); err != nil {
		t.Fatalf("head after a restart: %v", err)
	}
	if _, err := prove(tc.C, head-1); !errors.Is(err, blockchain.ErrOutsideWindow) {
		t.Fatalf("before the head after a restart: %v", err)
	}
	if err := tc.C.ProcessBlock(tc.MineOnHead(wallet.DevAddress(9))); err != nil {
		t.Fatal(err)
	}
	if _, err := prove(tc.C, head); err != nil {
		t.Fatalf("the old head, once a block follows it: %v", err)
	}
}

// TestProofWindowAcrossReorg: after a reorganisation the new branch's
// blocks are proven with their own states, and a block of the abandoned
// branch, still in the window, with its own.
func TestProofWindowAcrossReorg(t *testing.T) {
	g := testchain.Genesis()
	tc := testchain.New(t, g)
	to := common.HexToAddress("0x00000000000000000000000000000000000000ef")
	if err := tc.C.ProcessBlock(tc.MineOnHead(wallet.DevAddress(9), testchain.Transfer(t, g, 0, 0, to, 5))); err != nil {
		t.Fatal(err)
	}
	old := tc.C.Head().Hash
	other := testchain.New(t, g)
	var heavier []*proto.Block
	for range 3 {
		b := other.MineOnHead(wallet.DevAddress(8))
		if err := other.C.ProcessBlock(b); err != nil {
			t.Fatal(err)
		}
		heavier = append(heavier, b)
	}
	for _, b := range heavier {
		if err := tc.C.ProcessBlock(b); err != nil {
			t.Fatal(err)
		}
	}
	if tc.C.Head().Hash != heavier[2].Hash() {
		t.Fatal("no reorganisation")
	}
	for _, c := range []struct {
		block   common.Hash
		present bool
	}{{heavier[2].Hash(), false}, {heavier[0].Hash(), false}, {old, true}} {
		p, _, err := tc.C.AccountProof(to, c.block, false)
		if err != nil {
			t.Fatal(err)
		}
		acct, err := proof.VerifyAccountAt(p, to, c.block)
		if err != nil || (acct != nil) != c.present {
			t.Fatalf("block %s: %+v %v", c.block, acct, err)
		}
	}
}
