package blockchain_test

import (
	"bufio"
	"fmt"
	"math/big"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/chain/blockchain"
	"github.com/tinychain/tinychain/internal/testchain"
	"github.com/tinychain/tinychain/proto"
	"github.com/tinychain/tinychain/wallet"
)

const crashEnv = "TINYCHAIN_CRASH_CHILD"

func crashTxs(t testing.TB, tc *testchain.Chain, round int) []*proto.Tx {
	var txs []*proto.Tx
	for k := 0; k < 3; k++ {
		from := (round + k) % wallet.DevKeys
		acct, err := tc.C.Account(wallet.DevAddress(from))
		if err != nil {
			t.Fatal(err)
		}
		to := common.BigToAddress(big.NewInt(int64(100 + round%17)))
		txs = append(txs, testchain.Transfer(t.(*testing.T), tc.G, from, acct.Nonce, to, uint64(round+1)))
	}
	return txs
}

// TestCrashChild is the child process of TestCrashSafety: it imports
// blocks into the chain in $TINYCHAIN_CRASH_CHILD until it is killed,
// printing each head once ProcessBlock has returned. Every fourth round a
// side chain one block behind overtakes the head: a reorganisation.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashEnv)
	if dir == "" {
		t.Skip("only runs as the child of TestCrashSafety")
	}
	g := testchain.Genesis()
	a := testchain.Open(t, g, filepath.Join(dir, "chain"))
	side := testchain.Open(t, g, filepath.Join(dir, "side"))
	for round := 0; ; round++ {
		b := a.MineAny(wallet.DevAddress(9), crashTxs(t, a, round))
		if err := a.C.ProcessBlock(b); err != nil {
			t.Fatal(err)
		}
		fmt.Printf("head %d %s\n", a.C.Head().Header.Height, a.C.Head().Hash)
		if round%4 != 3 {
			continue
		}
		// Bring the side chain to one block below the head, then let it
		// mine two blocks and hand them over.
		h := a.C.Head().Header.Height
		for height := uint64(1); height < h; height++ {
			hash, _ := a.C.HashAt(height)
			blk, err := a.C.Block(hash)
			if err != nil {
				t.Fatal(err)
			}
			if err := side.C.ProcessBlock(blk); err != nil && err != chain.ErrDuplicate {
				t.Fatal(err)
			}
		}
		for i := 0; i < 2; i++ {
			blk := side.MineAny(wallet.DevAddress(8), crashTxs(t, side, round+1000+i))
			if err := side.C.ProcessBlock(blk); err != nil {
				t.Fatal(err)
			}
			if err := a.C.ProcessBlock(blk); err != nil {
				t.Fatal(err)
			}
		}
		fmt.Printf("head %d %s\n", a.C.Head().Header.Height, a.C.Head().Hash)
	}
}

// TestCrashSafety kills the child with SIGKILL at random moments, many
// times, and after each kill checks that the chain opens on a consistent
// head: no committed block lost, the stored state is the head's state and
// equals a replay of the main chain, and every main-chain tx is indexed.
func TestCrashSafety(t *testing.T) {
	if os.Getenv(crashEnv) != "" {
		t.Skip("in the child")
	}
	rounds := 15
	if testing.Short() {
		rounds = 4
	}
	dir := t.TempDir()
	g := testchain.Genesis()
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	for round := 0; round < rounds; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.v")
		cmd.Env = append(os.Environ(), crashEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string, 1024)
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		time.Sleep(time.Duration(100+r.IntN(400)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		var last string
		for l := range lines {
			if strings.HasPrefix(l, "head ") {
				last = l
			} else if strings.Contains(l, "FAIL") {
				t.Fatalf("child failed: %s", l)
			}
		}
		cmd.Wait()
		checkAfterCrash(t, g, filepath.Join(dir, "chain"), last)
	}
}

func checkAfterCrash(t *testing.T, g *chain.Genesis, dir, last string) {
	t.Helper()
	c, err := blockchain.Open(blockchain.Config{Dir: dir, Genesis: g})
	if err != nil {
		t.Fatalf("reopen after kill: %v", err)
	}
	defer c.Close()
	head := c.Head()
	if last != "" {
		var height uint64
		var hash string
		fmt.Sscanf(last, "head %d %s", &height, &hash)
		committed, err := c.HeaderByHash(common.HexToHash(hash))
		if err != nil {
			t.Fatalf("committed head %s lost: %v", hash, err)
		}
		if head.TotalWork.Cmp(committed.TotalWork) < 0 {
			t.Fatalf("head %d has less work than committed %d", head.Header.Height, height)
		}
	}
	if err := c.Verify(); err != nil {
		t.Fatalf("after kill: %v", err)
	}
	// The stored state is the head's: its Merkle root is the header's.
	st, _, release, err := c.StateView()
	if err != nil {
		t.Fatal(err)
	}
	root, err := st.Root()
	release()
	if err != nil || root != head.Header.StateRoot {
		t.Fatalf("stored state root %s, head says %s (%v)", root, head.Header.StateRoot, err)
	}
	// A replay of the main chain reaches the same head, and every tx is
	// indexed where it is.
	replay := testchain.New(t, g)
	for h := uint64(1); h <= head.Header.Height; h++ {
		hash, err := c.HashAt(h)
		if err != nil {
			t.Fatal(err)
		}
		blk, err := c.Block(hash)
		if err != nil {
			t.Fatalf("main-chain block %d: %v", h, err)
		}
		if err := replay.C.ProcessBlock(blk); err != nil {
			t.Fatalf("replay of block %d: %v", h, err)
		}
		for i, tx := range blk.Txs {
			res, err := c.Tx(tx.Hash())
			if err != nil || res.Block != hash || res.Index != i {
				t.Fatalf("tx %s of block %d not indexed right: %v", tx.Hash(), h, err)
			}
		}
	}
	t.Logf("after kill: head %d, last reported %q", head.Header.Height, last)
	if replay.C.Head().Hash != head.Hash {
		t.Fatalf("replay head %s, stored head %s", replay.C.Head().Hash, head.Hash)
	}
	for i := 0; i < wallet.DevKeys; i++ {
		x, _ := c.Account(wallet.DevAddress(i))
		y, _ := replay.C.Account(wallet.DevAddress(i))
		if x != y {
			t.Fatalf("dev %d: stored %+v, replay %+v", i, x, y)
		}
	}
}
