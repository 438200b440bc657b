package vectors_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/chain/blockchain"
	"github.com/tinychain/tinychain/chain/vectors"
	"github.com/tinychain/tinychain/proto"
)

var update = flag.Bool("update", false, "rewrite testdata/vectors.json from the generator")

const golden = "testdata/vectors.json"

// TestVectors replays the generated suite on a real chain.
func TestVectors(t *testing.T) {
	s, err := vectors.Generate()
	if err != nil {
		t.Fatal(err)
	}
	replay(t, s)
}

// TestGoldenVectors checks the committed JSON equals the generator's
// output and replays the JSON itself, as another implementation would.
func TestGoldenVectors(t *testing.T) {
	s, err := vectors.Generate()
	if err != nil {
		t.Fatal(err)
	}
	enc, err := json.MarshalIndent(s, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		os.MkdirAll(filepath.Dir(golden), 0o755)
		if err := os.WriteFile(golden, enc, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update once)", err)
	}
	if !bytes.Equal(got, enc) {
		t.Fatalf("%s differs from the generator: a consensus rule or the generator changed (go test -update to accept)", golden)
	}
	var fromJSON vectors.Suite
	if err := json.Unmarshal(got, &fromJSON); err != nil {
		t.Fatal(err)
	}
	replay(t, &fromJSON)
}

func replay(t *testing.T, s *vectors.Suite) {
	now := s.NowMs
	c, err := blockchain.Open(blockchain.Config{Dir: t.TempDir(), Genesis: s.Genesis, Now: func() time.Time { return time.UnixMilli(int64(now)) }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i, v := range s.Vectors {
		now += v.AdvanceClockMs
		var outcome, code string
		if v.Outcome == vectors.Retry {
			c.RetryFutureBlocks()
			outcome = vectors.Retry
		} else {
			b, err := proto.DecodeBlock(v.Block)
			if err != nil {
				t.Fatalf("%d %s: %v", i, v.Name, err)
			}
			err = c.ProcessBlock(b)
			switch {
			case err == nil:
				outcome = vectors.Accepted
			case errors.Is(err, chain.ErrOrphan):
				outcome = vectors.Orphan
			case errors.Is(err, chain.ErrFutureBlock):
				outcome = vectors.Future
			case errors.Is(err, chain.ErrFutureRefused):
				outcome = vectors.FutureRefused
			case errors.Is(err, chain.ErrDuplicate):
				outcome = vectors.Duplicate
			case chain.CodeOf(err) != 0:
				outcome, code = vectors.Rejected, chain.CodeOf(err).String()
			default:
				t.Fatalf("%d %s: %v", i, v.Name, err)
			}
			// A block accepted into the index may still fail when it is
			// connected; the chain reports it through the head.
		}
		if outcome != v.Outcome || code != v.Code {
			t.Errorf("%d %s: got %s %s, want %s %s", i, v.Name, outcome, code, v.Outcome, v.Code)
		}
		head := c.Head()
		if head.Hash != v.Head || head.Header.Height != v.Height {
			t.Fatalf("%d %s: head %d %s, want %d %s", i, v.Name, head.Header.Height, head.Hash, v.Height, v.Head)
		}
	}
}
