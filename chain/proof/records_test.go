package proof_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"pgregory.net/rapid"

	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/chain/proof"
	"github.com/tinychain/tinychain/chain/smt"
	"github.com/tinychain/tinychain/chain/state"
	"github.com/tinychain/tinychain/proto"
)

// accountProofs builds a state of n accounts (one a contract with a tape)
// and the proof of addr in it, the way the node does: the tree from the
// chain's own leaf rule, checked against state.ComputeStateRoot.
func accountProof(t *testing.T, addr common.Address, withTape bool) (*proof.AccountProof, map[common.Address]proto.Account, []byte) {
	t.Helper()
	tape := []byte{1, 0, 2}
	accts := map[common.Address]proto.Account{}
	for i := range 50 {
		a := common.BytesToAddress(h32(fmt.Sprint("acct", i)).Bytes())
		accts[a] = proto.Account{Nonce: uint64(i), Balance: uint64(1000 + i)}
	}
	contract := common.BytesToAddress(h32("acct0").Bytes())
	accts[contract] = proto.Account{Nonce: 1, CodeHash: h32("code"), TapeHash: crypto.Keccak256Hash(tape)}
	tr := smt.Open(none{}, []byte("s"))
	for a, acct := range accts {
		k, v := state.AccountLeaf(a, proto.Encode(&acct))
		if err := tr.Update(k, v); err != nil {
			t.Fatal(err)
		}
	}
	root, _ := tr.Root()
	if want, _ := state.ComputeStateRoot(accts); common.Hash(root) != want {
		t.Fatalf("tree root %x, chain computes %x", root, want)
	}
	sp, err := tr.Prove(crypto.Keccak256Hash(addr[:]))
	if err != nil {
		t.Fatal(err)
	}
	hdr := proto.Header{Version: 1, Height: 7, StateRoot: root}
	p := &proof.AccountProof{Address: addr, Header: hdr.Encode(), Proof: *sp}
	if acct, ok := accts[addr]; ok {
		p.Account = proto.Encode(&acct)
		if withTape {
			p.Tape = tape
		}
	}
	return p, accts, tape
}

func TestAccountProof(t *testing.T) {
	present := common.BytesToAddress(h32("acct0").Bytes())
	p, accts, _ := accountProof(t, present, true)
	got, block, err := proof.VerifyAccount(p, present)
	if err != nil || *got != accts[present] {
		t.Fatalf("present: %v %+v", err, got)
	}
	if _, err := proof.VerifyAccountAt(p, present, block); err != nil {
		t.Fatal(err)
	}
	if _, err := proof.VerifyAccountAt(p, present, h32("other block")); err == nil {
		t.Fatal("accepted against another block")
	}
	// The wire form round-trips, and any byte of it changed is refused.
	enc := p.Encode()
	if q, err := proof.DecodeAccountProof(enc); err != nil || string(q.Encode()) != string(enc) {
		t.Fatalf("round trip: %v", err)
	}
	for i := range enc {
		bad := append([]byte(nil), enc...)
		bad[i] ^= 0x01
		q, err := proof.DecodeAccountProof(bad)
		if err != nil {
			continue
		}
		if acct, _, err := proof.VerifyAccount(q, present); err == nil && (acct == nil || *acct != accts[present]) {
			t.Fatalf("byte %d flipped: verifies a false account %+v", i, acct)
		}
	}

	absent := common.HexToAddress("0x00000000000000000000000000000000000000aa")
	q, _, _ := accountProof(t, absent, false)
	if got, _, err := proof.VerifyAccount(q, absent); err != nil || got != nil {
		t.Fatalf("absent: %v %+v", err, got)
	}
	if _, _, err := proof.VerifyAccount(q, present); err == nil {
		t.Fatal("an absence proof of one address verified for another, present one")
	}
}

// TestAccountTampering: each field of a good proof changed alone is refused.
func TestAccountTampering(t *testing.T) {
	present := common.BytesToAddress(h32("acct3").Bytes())
	for name, tamper := range map[string]func(p *proof.AccountProof, a *proto.Account){
		"balance": func(p *proof.AccountProof, a *proto.Account) { a.Balance++; p.Account = proto.Encode(a) },
		"nonce":   func(p *proof.AccountProof, a *proto.Account) { a.Nonce++; p.Account = proto.Encode(a) },
		"absent":  func(p *proof.AccountProof, a *proto.Account) { p.Account = nil },
		"address": func(p *proof.AccountProof, a *proto.Account) { p.Address[0] ^= 1 },
		"root": func(p *proof.AccountProof, a *proto.Account) {
			h, _ := proto.DecodeHeader(p.Header)
			h.StateRoot[5] ^= 1
			p.Header = h.Encode()
		},
		"sibling": func(p *proof.AccountProof, a *proto.Account) { p.Proof.Siblings[0][0] ^= 1 },
		"order": func(p *proof.AccountProof, a *proto.Account) {
			s := p.Proof.Siblings
			s[0], s[len(s)-1] = s[len(s)-1], s[0]
		},
		"tape": func(p *proof.AccountProof, a *proto.Account) { p.Tape = []byte{9} },
	} {
		p, accts, _ := accountProof(t, present, false)
		acct := accts[present]
		tamper(p, &acct)
		addr := present
		if name == "address" {
			addr = p.Address
		}
		if _, _, err := proof.VerifyAccount(p, addr); !errors.Is(err, proof.ErrInvalid) {
			t.Errorf("%s changed: %v", name, err)
		}
	}
	// A wrong tape for a contract.
	c := common.BytesToAddress(h32("acct0").Bytes())
	p, _, _ := accountProof(t, c, true)
	p.Tape = []byte{1, 0, 3}
	if _, _, err := proof.VerifyAccount(p, c); !errors.Is(err, proof.ErrInvalid) {
		t.Errorf("wrong tape: %v", err)
	}
}

// TestTxProofs: every tx of blocks of 1..40 txs (odd counts, the last tx)
// is proven, and a wrong index, count, path order or receipt is refused.
func TestTxProofs(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		n := rapid.IntRange(1, 40).Draw(rt, "txs")
		b := &proto.Block{}
		var rs []*proto.Receipt
		for i := range n {
			b.Txs = append(b.Txs, &proto.Tx{ChainID: 1, Nonce: uint64(i), Data: []byte{byte(i)}})
			rs = append(rs, &proto.Receipt{Status: proto.StatusOK, GasUsed: uint64(21000 + i)})
		}
		b.Header = proto.Header{Version: 1, TxRoot: chain.TxRoot(b.Txs), ReceiptsRoot: chain.ReceiptsRoot(rs)}
		i := rapid.IntRange(0, n-1).Draw(rt, "index")
		if rapid.Bool().Draw(rt, "last") {
			i = n - 1
		}
		p, err := chain.NewTxProof(b, rs, i)
		if err != nil {
			rt.Fatal(err)
		}
		enc := p.Encode()
		q, err := proof.DecodeTxProof(enc)
		if err != nil {
			rt.Fatal(err)
		}
		if _, _, err := proof.VerifyTxAt(q, b.Txs[i].Hash(), b.Header.Hash()); err != nil {
			rt.Fatalf("tx %d of %d: %v", i, n, err)
		}
		bad := *q
		switch rapid.IntRange(0, 4).Draw(rt, "tamper") {
		case 0:
			bad.Index = uint64(rapid.IntRange(0, n).Filter(func(j int) bool { return j != i }).Draw(rt, "wrong index"))
		case 1:
			bad.Count = uint64(rapid.IntRange(1, 2*n+1).Filter(func(c int) bool { return c != n }).Draw(rt, "wrong count"))
		case 2:
			if len(bad.TxPath) < 2 {
				return
			}
			bad.TxPath = append([]common.Hash(nil), bad.TxPath...)
			bad.TxPath[0], bad.TxPath[1] = bad.TxPath[1], bad.TxPath[0]
		case 3:
			r := *rs[i]
			r.GasUsed++
			bad.Receipt = proto.Encode(&r)
		case 4:
			bad.TxPath = append(append([]common.Hash(nil), bad.TxPath...), h32("extra"))
		}
		// The header does not commit to the count, so an index and count
		// whose paths have the same shape may pass: what is proven is the
		// pair (tx, receipt) at one position of both trees, and only the
		// true pair may come out.
		tx, r, _, err := proof.VerifyTx(&bad)
		if err == nil && (tx.Hash() != b.Txs[i].Hash() || string(proto.Encode(r)) != string(proto.Encode(rs[i]))) {
			rt.Fatalf("tampered proof of tx %d of %d verified a false pair", i, n)
		}
	})
}
