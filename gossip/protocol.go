package gossip

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/tinychain/tinychain/proto"
)

// The sync protocols (docs/PROTOCOL.md section 6.2 has them byte by byte). Every
// message is a frame, a uvarint length and that many bytes of RLP, and
// every frame is bounded before it is read.

// statusMsg is what peers tell each other on connect and every
// resyncEvery: /tinychain/<chain_id>/status/1. Its Work is a claim, never
// believed: it only makes us ask the peer for headers.
type statusMsg struct {
	Genesis common.Hash
	Head    common.Hash
	Height  uint64
	Work    []byte // cumulative work of the head, big-endian
}

// headersReq asks for the main-chain headers after the first locator hash
// on the responder's main chain: /tinychain/<chain_id>/headers/1. The
// reply is one frame: an RLP list of at most min(Max, maxHeaders) headers,
// each in its canonical encoding, in height order.
type headersReq struct {
	Locator []common.Hash
	Max     uint32
}

// bodiesReq asks for blocks by hash: /tinychain/<chain_id>/bodies/1. The
// reply is a frame per block (its canonical encoding), in the order asked,
// then an empty frame. A reply may stop early (a prefix of the hashes):
// the responder's serving budget ran out or it lacks the next block.
type bodiesReq struct {
	Hashes []common.Hash
}

// Bounds of the stream messages, checked before anything is read.
const (
	maxStatusSize = 256
	maxLocator    = 64
	maxReqSize    = 16 + maxLocator*(common.HashLength+1)
	// maxHeaders is the most headers one reply carries (about 450 KB).
	maxHeaders       = 2000
	maxHeadersReply  = 16 + maxHeaders*(proto.MaxHeaderSize+3)
	chunkSize        = 64 // blocks per body request
	maxBodiesReqSize = 16 + chunkSize*(common.HashLength+1)
)

// Timeouts. A peer that misses one is benched (sync.go), never struck: a
// slow link is no proof of bad faith.
const (
	statusTimeout  = 5 * time.Second  // a whole status exchange, either side
	headersTimeout = 10 * time.Second // a headers request and its reply
	chunkTimeout   = 10 * time.Second // a body request and its reply
	serveTimeout   = 10 * time.Second // a headers or bodies stream we serve, from open to close
	streamTimeout  = 15 * time.Second // a tx announce or request stream (txann.go)
)

var errFrameTooLarge = errors.New("frame too large")

// writeFrame writes a uvarint length and b.
func writeFrame(w io.Writer, b []byte) error {
	var hdr [binary.MaxVarintLen64]byte
	n := binary.PutUvarint(hdr[:], uint64(len(b)))
	if _, err := w.Write(hdr[:n]); err != nil {
		return err
	}
	_, err := w.Write(b)
	return err
}

// readFrame reads one frame of at most max bytes.
func readFrame(r *bufio.Reader, max int) ([]byte, error) {
	n, err := binary.ReadUvarint(r)
	if err != nil {
		return nil, err
	}
	if n > uint64(max) {
		return nil, fmt.Errorf("%w: %d > %d", errFrameTooLarge, n, max)
	}
	// Memory follows the bytes that arrive, not the length claimed: a
	// peer that claims a full block and sends nothing costs nothing.
	b, err := io.ReadAll(io.LimitReader(r, int64(n)))
	if err != nil {
		return nil, err
	}
	if uint64(len(b)) != n {
		return nil, io.ErrUnexpectedEOF
	}
	return b, nil
}

// writeMsg writes v RLP-encoded in a frame.
func writeMsg(w io.Writer, v any) error {
	b, err := rlp.EncodeToBytes(v)
	if err != nil {
		return err
	}
	return writeFrame(w, b)
}

// readMsg reads a frame of at most max bytes and decodes it into v.
func readMsg(r *bufio.Reader, max int, v any) error {
	b, err := readFrame(r, max)
	if err != nil {
		return err
	}
	return rlp.DecodeBytes(b, v)
}

// decodeHeaders decodes a headers reply: an RLP list whose every element
// is a header's canonical encoding.
func decodeHeaders(b []byte) ([]*proto.Header, error) {
	var raws []rlp.RawValue
	if err := rlp.DecodeBytes(b, &raws); err != nil {
		return nil, err
	}
	if len(raws) > maxHeaders {
		return nil, fmt.Errorf("%d headers > %d", len(raws), maxHeaders)
	}
	out := make([]*proto.Header, len(raws))
	for i, raw := range raws {
		h, err := proto.DecodeHeader(raw)
		if err != nil {
			return nil, err
		}
		out[i] = h
	}
	return out, nil
}
