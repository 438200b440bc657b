package proto_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tinychain/tinychain/proto"
)

func fixtureTx() *proto.Tx {
	tx := &proto.Tx{ChainID: 1337, Nonce: 5, Kind: proto.KindCall, To: common.HexToAddress("0x00000000000000000000000000000000000000aa"),
		Value: 1000, GasLimit: 21000, GasPrice: 2, Data: []byte("hi")}
	for i := range tx.Sig {
		tx.Sig[i] = byte(i)
	}
	tx.Sig[64] = 1
	return tx
}

func fixtureBlock() *proto.Block {
	tx2 := fixtureTx()
	tx2.Nonce, tx2.Kind, tx2.To, tx2.Data = 6, proto.KindDeploy, common.Address{}, []byte("+.")
	return &proto.Block{Header: proto.Header{Version: 1, Height: 7, PrevHash: common.HexToHash("0x01"), Timestamp: 1_700_000_000_000,
		Target: common.HexToHash("0x00ff"), Miner: common.HexToAddress("0x02"), TxRoot: common.HexToHash("0x03"),
		StateRoot: common.HexToHash("0x04"), ReceiptsRoot: common.HexToHash("0x05"), Nonce: 1 << 56}, Txs: []*proto.Tx{fixtureTx(), tx2}}
}

// Golden encodings: a change here is a change of the wire and of every hash.
const (
	goldenTx = "f86782053905029400000000000000000000000000000000000000aa8203e882520802826869b841000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f01"
)

func TestTxGolden(t *testing.T) {
	tx := fixtureTx()
	enc := tx.Encode()
	if hex.EncodeToString(enc) != goldenTx {
		t.Fatalf("tx encoding changed:\n%x", enc)
	}
	back, err := proto.DecodeTx(enc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back.Encode(), enc) || back.Hash() != tx.Hash() || back.SigHash() != tx.SigHash() {
		t.Fatal("round trip differs")
	}
	if tx.SigHash() == tx.Hash() {
		t.Fatal("the signature hash must leave out the signature")
	}
}

// decoders are the decode functions by name, with a valid encoding each.
func decoders() map[string]struct {
	enc    []byte
	decode func([]byte) error
} {
	blk := fixtureBlock()
	acct := &proto.Account{Nonce: 1, Balance: 2, CodeHash: common.HexToHash("0x09")}
	rcpt := &proto.Receipt{Status: proto.StatusFault, GasUsed: 9, Output: []byte("o"), ErrCode: proto.ErrCodeTapeLeft, FaultAt: 300}
	return map[string]struct {
		enc    []byte
		decode func([]byte) error
	}{
		"tx":      {fixtureTx().Encode(), func(b []byte) error { _, err := proto.DecodeTx(b); return err }},
		"header":  {blk.Header.Encode(), func(b []byte) error { _, err := proto.DecodeHeader(b); return err }},
		"block":   {blk.Encode(), func(b []byte) error { _, err := proto.DecodeBlock(b); return err }},
		"receipt": {proto.Encode(rcpt), func(b []byte) error { _, err := proto.DecodeReceipt(b); return err }},
		"account": {proto.Encode(acct), func(b []byte) error { _, err := proto.DecodeAccount(b); return err }},
	}
}

func TestTruncationAndTrailingBytes(t *testing.T) {
	for name, d := range decoders() {
		if err := d.decode(d.enc); err != nil {
			t.Fatalf("%s: valid encoding rejected: %v", name, err)
		}
		for n := 0; n < len(d.enc); n++ {
			if err := d.decode(d.enc[:n]); err == nil {
				t.Fatalf("%s: truncated to %d of %d bytes decoded", name, n, len(d.enc))
			}
		}
		if err := d.decode(append(bytes.Clone(d.enc), 0)); err == nil {
			t.Fatalf("%s: trailing byte accepted", name)
		}
	}
}

func TestNonCanonical(t *testing.T) {
	enc := fixtureTx().Encode()
	// The chain id 1337 is 0x82 0x05 0x39; with a leading zero byte it is
	// 0x83 0x00 0x05 0x39 (and the list grows by one byte).
	bad := append([]byte{0xf8, enc[1] + 1, 0x83, 0x00}, enc[3:]...)
	if _, err := proto.DecodeTx(bad); err == nil {
		t.Fatal("integer with a leading zero accepted")
	}
	// The kind 2 as a one-byte string (0x81 0x02) instead of 0x02.
	i := bytes.Index(enc, []byte{0x02, 0x94}) // kind, then the 20-byte address
	bad = append(append(append([]byte{0xf8, enc[1] + 1}, enc[2:i]...), 0x81, 0x02), enc[i+1:]...)
	if _, err := proto.DecodeTx(bad); err == nil {
		t.Fatal("single byte as a string accepted")
	}
	// A long-form length for a short list.
	bad = append([]byte{0xf9, 0x00, enc[1]}, enc[2:]...)
	if _, err := proto.DecodeTx(bad); err == nil {
		t.Fatal("non-minimal list length accepted")
	}
	// Kind above 255 does not fit its type.
	bad = append(append(append([]byte{0xf8, enc[1] + 2}, enc[2:i]...), 0x82, 0x01, 0x00), enc[i+1:]...)
	if _, err := proto.DecodeTx(bad); err == nil {
		t.Fatal("kind 256 accepted")
	}
}

func TestSizeCaps(t *testing.T) {
	for _, c := range []struct {
		max    int
		decode func([]byte) error
	}{
		{proto.MaxTxSize, func(b []byte) error { _, err := proto.DecodeTx(b); return err }},
		{proto.MaxHeaderSize, func(b []byte) error { _, err := proto.DecodeHeader(b); return err }},
		{proto.MaxReceiptSize, func(b []byte) error { _, err := proto.DecodeReceipt(b); return err }},
	} {
		if err := c.decode(make([]byte, c.max+1)); !errors.Is(err, proto.ErrTooLarge) {
			t.Fatalf("over the cap: %v", err)
		}
	}
	// A list that claims 2^40 bytes: an error, not an allocation.
	huge := []byte{0xfd, 0x01, 0x00, 0x00, 0x00, 0x00, 0xc0}
	allocs := testing.AllocsPerRun(10, func() { proto.DecodeBlock(huge) })
	if _, err := proto.DecodeBlock(huge); err == nil || allocs > 20 {
		t.Fatalf("huge declared length: err %v, %v allocs", err, allocs)
	}
}

func TestMath(t *testing.T) {
	max := ^uint64(0)
	if _, ok := proto.AddU64(max, 1); ok {
		t.Fatal("add overflow")
	}
	if _, ok := proto.SubU64(0, 1); ok {
		t.Fatal("sub underflow")
	}
	if _, ok := proto.MulU64(1<<32, 1<<32); ok {
		t.Fatal("mul overflow")
	}
	if v, ok := proto.MulU64(1<<31, 1<<32); !ok || v != 1<<63 {
		t.Fatal("mul")
	}
	tx := &proto.Tx{Value: max, GasLimit: 1, GasPrice: 1}
	if _, ok := tx.Cost(); ok {
		t.Fatal("cost overflow")
	}
	if k, err := proto.ParseKind("exec"); err != nil || k != proto.KindExec || k.String() != "exec" || !k.Valid() {
		t.Fatal("kind")
	}
	if proto.TxKind(9).Valid() {
		t.Fatal("kind 9 valid")
	}
}

func FuzzDecodeTx(f *testing.F) {
	f.Add(fixtureTx().Encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		tx, err := proto.DecodeTx(b)
		if err != nil {
			return
		}
		if !bytes.Equal(tx.Encode(), b) {
			t.Fatalf("decoded but not canonical: %x", b)
		}
	})
}

func FuzzDecodeBlock(f *testing.F) {
	f.Add(fixtureBlock().Encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		blk, err := proto.DecodeBlock(b)
		if err != nil {
			return
		}
		if !bytes.Equal(blk.Encode(), b) {
			t.Fatalf("decoded but not canonical: %x", b)
		}
	})
}

func BenchmarkDecodeTx(b *testing.B) {
	enc := fixtureTx().Encode()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := proto.DecodeTx(enc); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzDecodeHeader(f *testing.F) {
	f.Add(fixtureBlock().Header.Encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := proto.DecodeHeader(b)
		if err != nil {
			return
		}
		if !bytes.Equal(h.Encode(), b) {
			t.Fatalf("decoded but not canonical: %x", b)
		}
	})
}

// goldenReceipt is the receipt of decoders(): [status 2, gas 9, output
// "o", err_code 3 (tape_left), fault_at 300 (0x012c)].
const goldenReceipt = "c702096f0382012c"

func TestReceiptGolden(t *testing.T) {
	enc := decoders()["receipt"].enc
	if hex.EncodeToString(enc) != goldenReceipt {
		t.Fatalf("receipt encoding changed:\n%x", enc)
	}
	r, err := proto.DecodeReceipt(enc)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.ErrorText(); got != "tape fault: < at cell 0 at byte 300" {
		t.Fatalf("text %q", got)
	}
}

// TestErrCodeNames pins every error code's value, name and status: the
// values are consensus (receipts_root commits to them) and the names are
// the API's "error_code".
func TestErrCodeNames(t *testing.T) {
	want := []struct {
		code   proto.ErrCode
		name   string
		status proto.ReceiptStatus
		pos    bool
	}{
		{0, "none", proto.StatusOK, false},
		{1, "out_of_gas", proto.StatusOutOfGas, true},
		{2, "load_out_of_gas", proto.StatusOutOfGas, false},
		{3, "tape_left", proto.StatusFault, true},
		{4, "tape_right", proto.StatusFault, true},
		{5, "output_overflow", proto.StatusFault, true},
		{6, "no_contract", proto.StatusFault, false},
		{7, "address_taken", proto.StatusFault, false},
	}
	named := []proto.ErrCode{proto.ErrCodeNone, proto.ErrCodeOutOfGas, proto.ErrCodeLoadOutOfGas, proto.ErrCodeTapeLeft,
		proto.ErrCodeTapeRight, proto.ErrCodeOutputOverflow, proto.ErrCodeNoContract, proto.ErrCodeAddressTaken}
	for i, w := range want {
		if named[i] != w.code || w.code.String() != w.name || w.code.Status() != w.status || w.code.HasPosition() != w.pos || !w.code.Valid() {
			t.Errorf("code %d: constant %d, name %q, status %s, position %v", w.code, named[i], w.code.String(), w.code.Status(), w.code.HasPosition())
		}
		if (w.code == proto.ErrCodeNone) != (((&proto.Receipt{ErrCode: w.code}).ErrorText()) == "") {
			t.Errorf("code %s: text %q", w.name, (&proto.Receipt{ErrCode: w.code}).ErrorText())
		}
	}
	if c := proto.ErrCode(len(want)); c.Valid() || c.String() != "err_code(8)" {
		t.Errorf("code %d past the table: valid %v, name %q", c, c.Valid(), c.String())
	}
}

// TestReceiptConsistency: a receipt whose fields contradict each other
// does not decode.
func TestReceiptConsistency(t *testing.T) {
	for _, r := range []*proto.Receipt{
		{Status: proto.StatusOK, ErrCode: proto.ErrCodeTapeLeft},
		{Status: proto.StatusFault, ErrCode: proto.ErrCodeNone},
		{Status: proto.StatusFault, ErrCode: proto.ErrCodeOutOfGas},
		{Status: proto.StatusFault, ErrCode: 8},
		{Status: proto.StatusOK, FaultAt: 1},
		{Status: proto.StatusFault, ErrCode: proto.ErrCodeNoContract, FaultAt: 5},
	} {
		if _, err := proto.DecodeReceipt(proto.Encode(r)); !errors.Is(err, proto.ErrBadReceipt) {
			t.Errorf("%+v decoded: %v", r, err)
		}
	}
}
