package node_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/tinychain/tinychain/node"
	"github.com/tinychain/tinychain/wallet"
)

// sseEvent is one server-sent event.
type sseEvent struct{ name, data string }

// readEvents streams GET /v1/events into a channel until ctx ends.
func readEvents(t *testing.T, ctx context.Context, base string) <-chan sseEvent {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/v1/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	out := make(chan sseEvent, 64)
	go func() {
		defer resp.Body.Close()
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				ev.name = line[len("event: "):]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[len("data: "):]
			case line == "" && ev.name != "":
				out <- ev
				ev = sseEvent{}
			}
		}
	}()
	return out
}

func TestEventStream(t *testing.T) {
	n, cl := startNode(t, false)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	events := readEvents(t, ctx, "http://"+n.HTTPAddr())
	tx := transfer(t, 77, 0, common.HexToAddress("0x03"), 7)
	if _, err := cl.SendTx(ctx, tx); err != nil {
		t.Fatal(err)
	}
	n.Miner.Start()
	var sawTx, sawHead bool
	for !sawTx || !sawHead {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatal("stream ended")
			}
			switch ev.name {
			case "tx":
				var got node.Tx
				if err := json.Unmarshal([]byte(ev.data), &got); err != nil || got.Hash != tx.Hash() {
					t.Fatalf("tx event %s: %v", ev.data, err)
				}
				sawTx = true
			case "head":
				var b node.Block
				if err := json.Unmarshal([]byte(ev.data), &b); err != nil || b.Height == 0 || !b.Main {
					t.Fatalf("head event %s: %v", ev.data, err)
				}
				head, err := cl.Block(ctx, b.Hash.Hex(), false)
				if err != nil || head.Height != b.Height {
					t.Fatalf("head event names block %s: %v", b.Hash, err)
				}
				sawHead = true
			default:
				t.Fatalf("unknown event %q", ev.name)
			}
		case <-ctx.Done():
			t.Fatalf("tx event %v, head event %v", sawTx, sawHead)
		}
	}
}

func TestBlockListAndAccountTxs(t *testing.T) {
	n, cl := startNode(t, true)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	to := common.HexToAddress("0x00000000000000000000000000000000000000dd")
	var last *node.TxInfo
	for i := uint64(0); i < 3; i++ {
		h, err := cl.SendTx(ctx, transfer(t, 77, i, to, 1))
		if err != nil {
			t.Fatal(err)
		}
		if last, err = cl.WaitTx(ctx, h); err != nil {
			t.Fatal(err)
		}
	}
	base := "http://" + n.HTTPAddr()
	var list node.BlockList
	getJSON(t, base+"/v1/blocks?limit=5", &list)
	if len(list.Blocks) == 0 || len(list.Blocks) > 5 {
		t.Fatalf("%d blocks", len(list.Blocks))
	}
	for i := 1; i < len(list.Blocks); i++ {
		if list.Blocks[i].Height != list.Blocks[i-1].Height-1 || list.Blocks[i-1].PrevHash != list.Blocks[i].Hash {
			t.Fatalf("blocks not newest first along the chain: %d then %d", list.Blocks[i-1].Height, list.Blocks[i].Height)
		}
	}
	var page node.BlockList
	getJSON(t, base+"/v1/blocks?limit=2&before=2", &page)
	if len(page.Blocks) != 2 || page.Blocks[0].Height != 1 || page.Blocks[1].Height != 0 {
		t.Fatalf("page below 2: %+v", page.Blocks)
	}
	for _, addr := range []string{to.Hex(), wallet.DevAddress(0).Hex()} {
		var txs node.TxList
		getJSON(t, base+"/v1/accounts/"+addr+"/txs", &txs)
		if len(txs.Txs) != 3 || txs.Txs[0].Tx.Hash != last.Tx.Hash || txs.Txs[0].Receipt == nil {
			t.Fatalf("%s: %d txs", addr, len(txs.Txs))
		}
	}
	for path, status := range map[string]int{
		"/v1/blocks?limit=0":                         400,
		"/v1/blocks?limit=101":                       400,
		"/v1/blocks?before=x":                        400,
		"/v1/accounts/0x12/txs":                      400,
		"/v1/accounts/" + to.Hex() + "/txs?limit=-1": 400,
	} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != status {
			t.Errorf("%s: %d, want %d", path, resp.StatusCode, status)
		}
	}
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(fmt.Errorf("GET %s: %w", url, err))
	}
}
