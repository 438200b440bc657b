package proto

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
)

// This file holds the strict reader of rlp.go equal to what DecodeTx and
// DecodeBlock did before it: go-ethereum's rlp.DecodeBytes by reflection,
// then decode's re-encoding check, with Hash the Keccak-256 of the
// re-encoding and SigHash that of rlp's encoding of unsignedTx.

// unsignedTx is a Tx without its signature: what the signature covers,
// as rlp encodes it by reflection.
type unsignedTx struct {
	ChainID  uint64
	Nonce    uint64
	Kind     TxKind
	To       common.Address
	Value    uint64
	GasLimit uint64
	GasPrice uint64
	Data     []byte
}

func refDecodeTx(b []byte) (*Tx, error) {
	tx := new(Tx)
	return tx, decode(b, tx, MaxTxSize, "tx")
}

func refDecodeBlock(b []byte) (*Block, error) {
	blk := new(Block)
	return blk, decode(b, blk, MaxBlockSize, "block")
}

func refHash(tx *Tx) common.Hash { return crypto.Keccak256Hash(Encode(tx)) }

func refSigHash(tx *Tx) common.Hash {
	return crypto.Keccak256Hash(Encode(&unsignedTx{
		tx.ChainID, tx.Nonce, tx.Kind, tx.To, tx.Value, tx.GasLimit, tx.GasPrice, tx.Data,
	}))
}

// errClass is what a caller can tell of a decode error: the sentinels of
// codec.go, or else an error of the RLP itself.
func errClass(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, ErrTooLarge):
		return "too large"
	case errors.Is(err, ErrNonCanonical):
		return "non-canonical"
	}
	return "rlp"
}

// sameTx fails unless got has want's fields (Data nil or not alike) and
// got's Hash, SigHash and Size are those of the reference.
func sameTx(t *testing.T, got, want *Tx) {
	t.Helper()
	if got.ChainID != want.ChainID || got.Nonce != want.Nonce || got.Kind != want.Kind || got.To != want.To ||
		got.Value != want.Value || got.GasLimit != want.GasLimit || got.GasPrice != want.GasPrice ||
		!bytes.Equal(got.Data, want.Data) || (got.Data == nil) != (want.Data == nil) || got.Sig != want.Sig {
		t.Fatalf("fields differ:\n got %+v\nwant %+v", got, want)
	}
	if got.Hash() != refHash(want) || got.Hash() != want.Hash() {
		t.Fatalf("hash %s, want %s", got.Hash(), refHash(want))
	}
	if got.SigHash() != refSigHash(want) {
		t.Fatalf("sighash %s, want %s", got.SigHash(), refSigHash(want))
	}
	if got.Size() != len(Encode(want)) {
		t.Fatalf("size %d, want %d", got.Size(), len(Encode(want)))
	}
}

// checkTx fails unless DecodeTx and the reference agree on b, and
// returns the class of their error.
func checkTx(t *testing.T, b []byte) string {
	t.Helper()
	got, err := DecodeTx(b)
	want, werr := refDecodeTx(b)
	if errClass(err) != errClass(werr) {
		t.Fatalf("%x:\n got %v\nwant %v", b, err, werr)
	}
	if err == nil {
		sameTx(t, got, want)
	}
	return errClass(err)
}

// checkBlock is checkTx for DecodeBlock.
func checkBlock(t *testing.T, b []byte) string {
	t.Helper()
	got, err := DecodeBlock(b)
	want, werr := refDecodeBlock(b)
	if errClass(err) != errClass(werr) {
		t.Fatalf("%x:\n got %v\nwant %v", b, err, werr)
	}
	if err != nil {
		return errClass(err)
	}
	if got.Header != want.Header || len(got.Txs) != len(want.Txs) || (got.Txs == nil) != (want.Txs == nil) ||
		got.Size() != len(b) || got.Hash() != want.Hash() {
		t.Fatalf("block differs:\n got %+v\nwant %+v", got, want)
	}
	for i := range got.Txs {
		sameTx(t, got.Txs[i], want.Txs[i])
	}
	return "ok"
}

// seedTx is a tx of the given kind with every field set.
func seedTx(kind TxKind, data []byte) *Tx {
	tx := &Tx{ChainID: 1337, Nonce: 5, Kind: kind, Value: 1000, GasLimit: 21000, GasPrice: 2, Data: data}
	if kind == KindTransfer || kind == KindCall {
		tx.To = common.HexToAddress("0x00000000000000000000000000000000000000aa")
	}
	for i := range tx.Sig {
		tx.Sig[i] = byte(i)
	}
	tx.Sig[64] = 1
	return tx
}

// seedTxs are real encodings: every kind, the largest field values, and
// data of the lengths where its header changes form.
func seedTxs() []*Tx {
	txs := []*Tx{
		seedTx(KindTransfer, nil), seedTx(KindDeploy, []byte("+[->+<]")),
		seedTx(KindCall, []byte("hi")), seedTx(KindExec, []byte(",.")),
	}
	max := seedTx(KindCall, bytes.Repeat([]byte{0xff}, 300))
	max.ChainID, max.Nonce, max.Kind, max.Value, max.GasLimit, max.GasPrice = math.MaxUint64, math.MaxUint64, 255,
		math.MaxUint64, math.MaxUint64, math.MaxUint64
	max.To = common.Address(bytes.Repeat([]byte{0xff}, 20))
	max.Sig = [SigSize]byte(bytes.Repeat([]byte{0xff}, SigSize))
	zero := &Tx{Data: []byte{}}
	txs = append(txs, max, zero)
	for _, data := range [][]byte{{0x00}, {0x7f}, {0x80}, make([]byte, 55), make([]byte, 56), make([]byte, 256)} {
		txs = append(txs, seedTx(KindExec, data))
	}
	return txs
}

// rlpList is the canonical list of the given item encodings.
func rlpList(items ...[]byte) []byte {
	raws := make([]rlp.RawValue, len(items))
	for i, it := range items {
		raws[i] = it
	}
	return Encode(raws)
}

// txItems returns the encodings of tx's nine fields, in order.
func txItems(tx *Tx) [][]byte {
	return [][]byte{Encode(tx.ChainID), Encode(tx.Nonce), Encode(tx.Kind), Encode(tx.To), Encode(tx.Value),
		Encode(tx.GasLimit), Encode(tx.GasPrice), Encode(tx.Data), Encode(tx.Sig)}
}

// with returns the tx of items with item i replaced by enc (dropped if
// enc is nil, put before item i if i is len(items)).
func with(items [][]byte, i int, enc []byte) []byte {
	out := append([][]byte{}, items[:i]...)
	if enc != nil {
		out = append(out, enc)
	}
	if i < len(items) {
		out = append(out, items[i+1:]...)
	}
	return rlpList(out...)
}

type encodingCase struct {
	name  string
	enc   []byte
	class string // "ok", "rlp", "too large" (what both decoders return)
}

// txCases are encodings of a tx, each accepted or rejected for a reason.
func txCases() []encodingCase {
	fix := seedTx(KindCall, []byte("hi"))
	it := txItems(fix)
	enc := fix.Encode()
	sixty := append([]byte{0xb9, 0x00, 60}, make([]byte, 60)...)
	return []encodingCase{
		{"canonical", enc, "ok"},
		{"integer with a leading zero", with(it, 0, []byte{0x83, 0x00, 0x05, 0x39}), "rlp"},
		{"zero as the byte 0x00", with(it, 1, []byte{0x00}), "rlp"},
		{"zero as the string 0x00", with(it, 1, []byte{0x81, 0x00}), "rlp"},
		{"byte below 0x80 as a one-byte string", with(it, 2, []byte{0x81, 0x02}), "rlp"},
		{"long-form length for a short string", with(it, 7, []byte{0xb8, 0x02, 'h', 'i'}), "rlp"},
		{"long-form length with a leading zero", with(it, 7, sixty), "rlp"},
		{"list length with a leading zero", append([]byte{0xf9, 0x00}, enc[1:]...), "rlp"},
		{"list length over the input", enc[:len(enc)-1], "rlp"},
		{"trailing byte", append(bytes.Clone(enc), 0x80), "rlp"},
		{"signature of 64 bytes", with(it, 8, Encode(make([]byte, 64))), "rlp"},
		{"signature of 66 bytes", with(it, 8, Encode(make([]byte, 66))), "rlp"},
		{"address of 19 bytes", with(it, 3, Encode(make([]byte, 19))), "rlp"},
		{"address of 21 bytes", with(it, 3, Encode(make([]byte, 21))), "rlp"},
		{"empty address", with(it, 3, []byte{0x80}), "rlp"},
		{"kind 256", with(it, 2, []byte{0x82, 0x01, 0x00}), "rlp"},
		{"value of 9 bytes", with(it, 4, []byte{0x89, 1, 0, 0, 0, 0, 0, 0, 0, 0}), "rlp"},
		{"data as a list", with(it, 7, []byte{0xc0}), "rlp"},
		{"integer as a list", with(it, 5, []byte{0xc1, 0x01}), "rlp"},
		{"extra list element", with(it, len(it), []byte{0x80}), "rlp"},
		{"missing element", with(it, 8, nil), "rlp"},
		{"a string, not a list", Encode(enc[2:]), "rlp"},
		{"empty input", nil, "rlp"},
	}
}

// bigTxCases are txCases at the size cap (too big to seed the fuzzer).
func bigTxCases() []encodingCase {
	big := seedTx(KindExec, make([]byte, MaxTxSize-200))
	for n := len(big.Encode()); n != MaxTxSize; n = len(big.Encode()) {
		big.Data = make([]byte, len(big.Data)+MaxTxSize-n) // the headers' lengths settle
	}
	enc := big.Encode()
	big.Data = append(big.Data, 0)
	return []encodingCase{
		{"exactly MaxTxSize", enc, "ok"},
		{"over MaxTxSize", append(bytes.Clone(enc), 0x80), "too large"},
		{"valid but over MaxTxSize", big.Encode(), "too large"},
	}
}

// blockCases are encodings of a block, each accepted or rejected for a
// reason.
func blockCases() []encodingCase {
	hdr := Header{Version: 1, Height: 7, Timestamp: 1_700_000_000_000, Target: common.HexToHash("0x00ff"), Nonce: 1 << 56}
	block := func(txs ...[]byte) []byte { return rlpList(Encode(&hdr), rlpList(txs...)) }
	var txs [][]byte
	for _, tx := range seedTxs() {
		txs = append(txs, tx.Encode())
	}
	bad := with(txItems(seedTx(KindCall, nil)), 0, []byte{0x83, 0x00, 0x05, 0x39})
	enc := block(txs...)
	return []encodingCase{
		{"canonical", enc, "ok"},
		{"one tx", block(txs[0]), "ok"},
		{"no txs", block(), "ok"},
		{"a non-canonical tx", block(txs[0], bad), "rlp"},
		{"a tx with trailing bytes", block(append(bytes.Clone(txs[0]), 0x80)), "rlp"},
		{"a string among the txs", block(txs[0], []byte{0x80}), "rlp"},
		{"a tx list that is a string", rlpList(Encode(&hdr), []byte{0x80}), "rlp"},
		{"a header that is a string", rlpList([]byte{0x80}, rlpList(txs...)), "rlp"},
		{"a header with a leading zero", rlpList(with(headerItems(&hdr), 0, []byte{0x81, 0x01}), rlpList()), "rlp"},
		{"no tx list", rlpList(Encode(&hdr)), "rlp"},
		{"an extra element", rlpList(Encode(&hdr), rlpList(txs...), []byte{0x80}), "rlp"},
		{"trailing byte", append(bytes.Clone(enc), 0x80), "rlp"},
		{"truncated", enc[:len(enc)-1], "rlp"},
		{"list length with a leading zero", append([]byte{0xfa, 0x00}, enc[1:]...), "rlp"},
	}
}

// bigBlockCases are blockCases of megabytes (too big to seed the fuzzer).
func bigBlockCases() []encodingCase {
	block := func(tx *Tx) []byte { return rlpList(Encode(&Header{}), rlpList(tx.Encode())) }
	return []encodingCase{
		{"a tx over MaxTxSize", block(seedTx(KindExec, make([]byte, 2*MaxTxSize))), "ok"},
		{"over MaxBlockSize", block(seedTx(KindExec, make([]byte, MaxBlockSize))), "too large"},
	}
}

// headerItems returns the encodings of h's ten fields, in order.
func headerItems(h *Header) [][]byte {
	return [][]byte{Encode(h.Version), Encode(h.Height), Encode(h.PrevHash), Encode(h.Timestamp), Encode(h.Target),
		Encode(h.Miner), Encode(h.TxRoot), Encode(h.StateRoot), Encode(h.ReceiptsRoot), Encode(h.Nonce)}
}

// TestDecodeLikeRLP: each case is accepted or rejected, with the same
// class of error, by the strict decoders and by the reflection rlp with
// its re-encoding check. (rlp.DecodeBytes rejects every non-canonical
// form of these types itself, so the re-encoding check never fires and
// ErrNonCanonical is never the answer for a tx or a block.)
func TestDecodeLikeRLP(t *testing.T) {
	for _, c := range append(txCases(), bigTxCases()...) {
		t.Run("tx/"+c.name, func(t *testing.T) {
			if got := checkTx(t, c.enc); got != c.class {
				t.Fatalf("%s, want %s", got, c.class)
			}
		})
	}
	for _, c := range append(blockCases(), bigBlockCases()...) {
		t.Run("block/"+c.name, func(t *testing.T) {
			if got := checkBlock(t, c.enc); got != c.class {
				t.Fatalf("%s, want %s", got, c.class)
			}
		})
	}
}

// FuzzTxDecoderMatchesRLP: for any bytes, DecodeTx and the reflection rlp
// both reject (with an error of the same class) or both accept with the
// same fields, Hash, SigHash and Size.
func FuzzTxDecoderMatchesRLP(f *testing.F) {
	for _, tx := range seedTxs() {
		f.Add(tx.Encode())
	}
	for _, c := range txCases() {
		f.Add(c.enc)
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkTx(t, b) })
}

// FuzzBlockDecoderMatchesRLP is FuzzTxDecoderMatchesRLP for DecodeBlock.
func FuzzBlockDecoderMatchesRLP(f *testing.F) {
	for _, c := range blockCases() {
		f.Add(c.enc)
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkBlock(t, b) })
}

// TestSigHashMatchesRLP: the hand encoding of SigHash is rlp's, for field
// values at each length where an encoding changes form and for random
// txs.
func TestSigHashMatchesRLP(t *testing.T) {
	ints := []uint64{0, 1, 0x7f, 0x80, 0xff, 0x100, 1<<56 - 1, 1 << 56, math.MaxUint64}
	lens := []int{0, 1, 2, 55, 56, 255, 256, 1<<16 - 1, 1 << 16, 1 << 24}
	for _, v := range ints {
		for _, n := range lens {
			tx := &Tx{ChainID: v, Nonce: v, Kind: TxKind(v), Value: v, GasLimit: v, GasPrice: v, Data: bytes.Repeat([]byte{byte(v)}, n)}
			if got, want := tx.SigHash(), refSigHash(tx); got != want {
				t.Fatalf("value %d, data %d bytes: %s, want %s", v, n, got, want)
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		tx := &Tx{ChainID: rng.Uint64() >> rng.IntN(64), Nonce: rng.Uint64() >> rng.IntN(64), Kind: TxKind(rng.IntN(256)),
			Value: rng.Uint64() >> rng.IntN(64), GasLimit: rng.Uint64() >> rng.IntN(64), GasPrice: rng.Uint64() >> rng.IntN(64)}
		for i := range tx.To {
			tx.To[i] = byte(rng.IntN(256))
		}
		tx.Data = make([]byte, rng.IntN(300))
		for i := range tx.Data {
			tx.Data[i] = byte(rng.IntN(256))
		}
		if got, want := tx.SigHash(), refSigHash(tx); got != want {
			t.Fatalf("%+v: %s, want %s", tx, got, want)
		}
	}
}

// TestHasherMatchesKeccak: the pooled hasher (x/crypto's Keccak-256) is
// go-ethereum's crypto.Keccak256, for inputs around the 136-byte block
// and split anywhere into its three parts.
func TestHasherMatchesKeccak(t *testing.T) {
	in := make([]byte, 600)
	for i := range in {
		in[i] = byte(i*31 + 7)
	}
	s := hashers.Get().(*hasher)
	defer hashers.Put(s)
	for n := 0; n <= len(in); n++ {
		want := crypto.Keccak256Hash(in[:n])
		for _, cut := range [][2]int{{0, 0}, {n / 3, 2 * n / 3}, {n, n}, {min(n, 136), min(n, 272)}} {
			if got := s.sum(in[:cut[0]], in[cut[0]:cut[1]], in[cut[1]:n]); got != want {
				t.Fatalf("%d bytes cut at %v: %s, want %s", n, cut, got, want)
			}
		}
	}
}
