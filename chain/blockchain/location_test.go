package blockchain

import (
	"bytes"
	"math"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tinychain/tinychain/proto"
)

// TestAppendLocation: the hand-made encoding of a tx location is RLP's,
// byte for byte, from the smallest numbers to the largest.
func TestAppendLocation(t *testing.T) {
	for _, n := range []uint32{0, 1, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0xffffff, 0x1000000, math.MaxUint32} {
		loc := TxLocation{Block: common.Hash{1, 2, 3}, Index: n, Offset: n / 3, Length: math.MaxUint32 - n}
		got := appendLocation([]byte("prefix"), &loc)
		if want := append([]byte("prefix"), proto.Encode(&loc)...); !bytes.Equal(got, want) {
			t.Fatalf("%+v: %x, RLP gives %x", loc, got, want)
		}
	}
}
