package main_test

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/tinychain/tinychain/chain"
	"github.com/tinychain/tinychain/node"
)

// TestTestnetFiles starts a node as docker-compose.yml starts node1 (the
// testnet genesis, the committed bootstrap key) and checks that the others'
// bootstrap address names its peer ID, on the testnet's own chain.
func TestTestnetFiles(t *testing.T) {
	compose, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`/dns4/node1/tcp/4001/p2p/(\w+)`).FindSubmatch(compose)
	if m == nil {
		t.Fatal("docker-compose.yml has no bootstrap address for node1")
	}
	url := startNode(t, "--genesis", "../../testnet/genesis.json", "--p2p-key", "../../testnet/bootstrap.key")
	out, errOut, code := run(t, "status", "--rpc", url, "--json")
	if code != 0 {
		t.Fatalf("status: exit %d: %s", code, errOut)
	}
	var st node.Status
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatal(err)
	}
	if st.PeerID != string(m[1]) {
		t.Errorf("peer ID %s from testnet/bootstrap.key, docker-compose.yml bootstraps from %s", st.PeerID, m[1])
	}
	if st.ChainID == chain.DevnetChainID {
		t.Errorf("the testnet has the devnet's chain id %d", st.ChainID)
	}
	g, err := chain.LoadGenesis("../../testnet/genesis.json")
	if err != nil {
		t.Fatal(err)
	}
	if g.BlockIntervalMs != 5000 {
		t.Errorf("testnet block interval %d ms, the README says 5 s", g.BlockIntervalMs)
	}
}

// TestP2PKeyMissing: a key file that is named must exist; the node does
// not quietly make a new identity that no bootstrap address names.
func TestP2PKeyMissing(t *testing.T) {
	dir := t.TempDir()
	_, errOut, code := run(t, "node", "--datadir", dir, "--http", "127.0.0.1:0", "--listen", "/ip4/127.0.0.1/tcp/0",
		"--mdns=false", "--p2p-key", dir+"/missing.key")
	if code != 1 || !strings.Contains(errOut, "p2p key") || !strings.Contains(errOut, "missing.key") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if _, err := os.Stat(dir + "/missing.key"); err == nil {
		t.Fatal("the node created the named key file")
	}
}
