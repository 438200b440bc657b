package netsim

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/tinychain/tinychain/node"
)

// Node is one tinychain process in its namespace.
type Node struct {
	I         int
	Miner     bool
	Dir       string // data dir; the log is Dir/node.log
	PeerID    peer.ID
	Bootstrap []string
	Client    *node.Client // its HTTP API, dialled inside its namespace

	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{}
	killed  bool // by us: not a crash
	crashed string
	starts  int
}

// cgroupRoots are where miner CPU quotas go: cgroup v2's unified tree, or
// v1's cpu controller.
var cgroupRoots = []string{"/sys/fs/cgroup", "/sys/fs/cgroup/cpu"}

// newNode prepares node i's data dir and identity key.
func newNode(i int, root string, miner bool) (*Node, error) {
	n := &Node{I: i, Miner: miner, Dir: filepath.Join(root, fmt.Sprintf("node%d", i))}
	if err := os.MkdirAll(n.Dir, 0o700); err != nil {
		return nil, err
	}
	k, _, err := crypto.GenerateEd25519Key(nil)
	if err != nil {
		return nil, err
	}
	b, err := crypto.MarshalPrivateKey(k)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(n.Dir, "p2p.key"), b, 0o600); err != nil {
		return nil, err
	}
	if n.PeerID, err = peer.IDFromPrivateKey(k); err != nil {
		return nil, err
	}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return dialIn(ctx, i, network, addr)
		},
		MaxIdleConnsPerHost: 4,
	}
	n.Client = &node.Client{URL: "http://127.0.0.1:8080", HTTP: &http.Client{Transport: tr, Timeout: 20 * time.Second}}
	return n, nil
}

// Multiaddr is the address others bootstrap from.
func (n *Node) Multiaddr() string {
	return fmt.Sprintf("/ip4/%s/tcp/4001/p2p/%s", addrString(nodeAddr(n.I)), n.PeerID)
}

// start runs the node in its namespace. A node dies with netsim (the
// parent-death signal), so a crashed run leaves no process behind.
func (n *Node) start(bin, genesis string, minerAddr common.Address, cpuQuota float64) error {
	args := []string{"netns", "exec", nsName(n.I), bin, "node",
		"--datadir", n.Dir, "--genesis", genesis, "--http", "127.0.0.1:8080",
		"--listen", "/ip4/0.0.0.0/tcp/4001", "--mdns=false", "--log-format", "json"}
	for _, b := range n.Bootstrap {
		args = append(args, "--bootstrap", b)
	}
	if n.Miner {
		args = append(args, "--mine", "--mine-threads", "1", "--miner", minerAddr.Hex())
	}
	log, err := os.OpenFile(filepath.Join(n.Dir, "node.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer log.Close()
	cmd := exec.Command("ip", args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.Env = append(os.Environ(), "GOMAXPROCS=2")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return err
	}
	n.mu.Lock()
	n.cmd, n.exited, n.killed = cmd, make(chan struct{}), false
	n.starts++
	exited := n.exited
	n.mu.Unlock()
	if n.Miner && cpuQuota > 0 {
		if err := limitCPU(n.I, cmd.Process.Pid, cpuQuota); err != nil {
			fmt.Fprintf(os.Stderr, "netsim: node %d: no CPU quota: %v\n", n.I, err)
		}
	}
	go func() {
		err := cmd.Wait()
		n.mu.Lock()
		if !n.killed {
			n.crashed = fmt.Sprintf("exited by itself: %v", err)
		}
		n.mu.Unlock()
		close(exited)
	}()
	return nil
}

// kill sends SIGKILL and waits for the process to be gone.
func (n *Node) kill() {
	n.mu.Lock()
	cmd, exited := n.cmd, n.exited
	n.killed = true
	n.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	<-exited
}

// Crashed says how the node died if it did so by itself.
func (n *Node) Crashed() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.crashed
}

// limitCPU puts pid in a cgroup of its own limited to quota cores, with a
// short period so that a throttled node waits at most a few ms.
func limitCPU(i, pid int, quota float64) error {
	periodUs := 10000
	if quota*float64(periodUs) < 1000 { // the kernel's least quota is 1 ms
		periodUs = int(1000/quota) + 1
	}
	q := int(quota * float64(periodUs))
	for _, root := range cgroupRoots {
		dir := filepath.Join(root, Prefix, strconv.Itoa(i))
		if _, err := os.Stat(filepath.Join(root, "cgroup.procs")); err != nil {
			continue
		}
		if root == "/sys/fs/cgroup" {
			if _, err := os.Stat(filepath.Join(root, "cgroup.controllers")); err != nil {
				continue // v1's tmpfs, not the unified tree
			}
			_ = os.WriteFile(filepath.Join(root, "cgroup.subtree_control"), []byte("+cpu"), 0)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if root == "/sys/fs/cgroup" {
			_ = os.WriteFile(filepath.Join(root, Prefix, "cgroup.subtree_control"), []byte("+cpu"), 0)
			if err := os.WriteFile(filepath.Join(dir, "cpu.max"), fmt.Appendf(nil, "%d %d", q, periodUs), 0); err != nil {
				return err
			}
		} else {
			if err := os.WriteFile(filepath.Join(dir, "cpu.cfs_period_us"), fmt.Appendf(nil, "%d", periodUs), 0); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(dir, "cpu.cfs_quota_us"), fmt.Appendf(nil, "%d", q), 0); err != nil {
				return err
			}
		}
		return os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0)
	}
	return fmt.Errorf("no cgroup cpu controller found")
}

// removeCgroups removes the cgroups of limitCPU (each must be empty: their
// processes killed first).
func removeCgroups() {
	for _, root := range cgroupRoots {
		dir := filepath.Join(root, Prefix)
		ents, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range ents {
			if e.IsDir() {
				p := filepath.Join(dir, e.Name())
				for try := 0; try < 50 && os.Remove(p) != nil; try++ {
					time.Sleep(100 * time.Millisecond) // killed processes still leaving
				}
			}
		}
		_ = os.Remove(dir)
	}
}
