package gossip

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
)

// statusMsg is what peers tell each other on connect.
type statusMsg struct {
	Genesis common.Hash
	Head    common.Hash
	Height  uint64
	Work    []byte // cumulative work of the head, big-endian
}

// Bounds of the stream messages, checked before anything is read.
const (
	maxStatusSize = 256
	maxLocator    = 64
	maxReqSize    = 16 + maxLocator*(common.HashLength+1)
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
