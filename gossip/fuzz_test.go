package gossip

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"runtime"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/tinychain/tinychain/proto"
)

// Every stream message a peer can send us, with the bound its handler
// reads it under (fetch.go, sync.go). Each reader is what the handler
// runs on the peer's bytes.
var streamReaders = []struct {
	name string
	read func(r *bufio.Reader) (any, error)
}{
	{"status", func(r *bufio.Reader) (any, error) {
		var v statusMsg
		return &v, readMsg(r, maxStatusSize, &v)
	}},
	{"headers request", func(r *bufio.Reader) (any, error) {
		var v headersReq
		return &v, readMsg(r, maxReqSize, &v)
	}},
	{"bodies request", func(r *bufio.Reader) (any, error) {
		var v bodiesReq
		return &v, readMsg(r, maxBodiesReqSize, &v)
	}},
	{"headers reply", func(r *bufio.Reader) (any, error) {
		b, err := readFrame(r, maxHeadersReply)
		if err != nil {
			return nil, err
		}
		return decodeHeaders(b)
	}},
	{"tx announce", func(r *bufio.Reader) (any, error) { // txann.go
		var v []txAnn
		return &v, readMsg(r, maxAnnounceFrame, &v)
	}},
	{"tx request", func(r *bufio.Reader) (any, error) {
		var v []common.Hash
		return &v, readMsg(r, maxRequestFrame, &v)
	}},
	{"body or tx frame", func(r *bufio.Reader) (any, error) {
		b, err := readFrame(r, 2<<20) // the devnet's max_block_bytes
		return b, err
	}},
}

// allocated runs f and returns the bytes it allocated.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// FuzzStreamMessages feeds a peer's bytes to every stream message decoder
// and to the gossip message id: none may panic, and none may allocate
// much more than it was sent (a length prefix claiming gigabytes is
// refused before anything is allocated for it).
func FuzzStreamMessages(f *testing.F) {
	frame := func(v any) []byte {
		var buf bytes.Buffer
		if err := writeMsg(&buf, v); err != nil {
			f.Fatal(err)
		}
		return buf.Bytes()
	}
	huge := binary.AppendUvarint(nil, 4<<30)
	f.Add(frame(&statusMsg{Height: 7, Work: []byte{1, 0}}))
	f.Add(frame(&headersReq{Locator: []common.Hash{{1}, {2}}, Max: maxHeaders}))
	f.Add(frame([]rlp.RawValue{(&proto.Header{Height: 1}).Encode()}))
	f.Add(frame(&bodiesReq{Hashes: []common.Hash{{3}}}))
	f.Add(frame([]common.Hash{{4}, {5}}))
	f.Add(frame([]txAnn{{common.Hash{6}, 110}, {common.Hash{7}, 131072}}))
	f.Add(huge)
	f.Add(append(binary.AppendUvarint(nil, 100), 0xf9, 0xff, 0xff)) // an RLP list claiming 64 KiB in a small frame
	f.Add(append(binary.AppendUvarint(nil, 1<<20), 0xc0))           // a 1 MiB body claimed, one byte sent
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, sr := range streamReaders {
			var err error
			n := allocated(func() { _, err = sr.read(bufio.NewReaderSize(bytes.NewReader(data), 4096)) })
			// bufio's buffer and the decoded values: within a small
			// multiple of what was sent.
			if limit := uint64(64<<10 + 16*len(data)); n > limit {
				t.Fatalf("%s: %d bytes of input allocated %d bytes (err %v)", sr.name, len(data), n, err)
			}
		}
		for _, topic := range []string{"blocks", "txs"} {
			if id := messageID("blocks")(&pb.Message{Data: data, Topic: &topic}); len(id) != 32 {
				t.Fatalf("message id of %d bytes", len(id))
			}
		}
	})
}

// A frame claiming 4 GiB is refused from its length alone.
func TestHugeFrameRefused(t *testing.T) {
	data := append(binary.AppendUvarint(nil, 4<<30), 1, 2, 3)
	var err error
	n := allocated(func() { _, err = readFrame(bufio.NewReader(bytes.NewReader(data)), 2<<20) })
	if !errors.Is(err, errFrameTooLarge) {
		t.Fatalf("a 4 GiB frame: %v", err)
	}
	if n > 1<<20 {
		t.Fatalf("a refused 4 GiB frame allocated %d bytes", n)
	}
	var st statusMsg
	if err := readMsg(bufio.NewReader(bytes.NewReader(data)), maxStatusSize, &st); !errors.Is(err, errFrameTooLarge) {
		t.Fatalf("a 4 GiB status: %v", err)
	}
	// And a frame within bounds that holds no valid RLP is an error, not a panic.
	var v []common.Hash
	if err := readMsg(bufio.NewReader(bytes.NewReader([]byte{3, 0xf9, 0xff, 0xff})), 1<<10, &v); err == nil {
		t.Fatal("a truncated RLP list decoded")
	}
}
