package netsim

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Prefix starts the name of every namespace, device and cgroup a run
// makes, so that Cleanup can find what a crashed run left.
const Prefix = "tcsim"

// nsName is node i's namespace.
func nsName(i int) string { return fmt.Sprintf("%s-%d", Prefix, i) }

// nodeAddr is node i's IPv4 address: 10.77.0.0/16 exists only inside the
// namespaces of a run, behind the router.
func nodeAddr(i int) [4]byte { return [4]byte{10, 77, byte(i / 250), byte(i%250 + 1)} }

func addrString(a [4]byte) string { return net.IP(a[:]).String() }

// ip runs iproute2's ip (or tc with "tc" first) and returns its error with
// its output.
func ip(args ...string) error {
	name := "ip"
	if len(args) > 0 && args[0] == "tc" {
		name, args = "tc", args[1:]
	}
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// makeNamespace creates node i's namespace with loopback up and a TUN
// device tun0 holding its address (the /16 routes through it), and returns
// the router's end of the device. rate, if not empty, is a tbf rate on the
// device's egress ("10mbit").
func makeNamespace(i int, rate string) (*os.File, error) {
	ns := nsName(i)
	if err := ip("netns", "add", ns); err != nil {
		return nil, err
	}
	dev := fmt.Sprintf("%s%d", Prefix, i)
	f, err := openTUN(dev)
	if err != nil {
		return nil, err
	}
	in := func(args ...string) []string { return append([]string{"-n", ns}, args...) }
	steps := [][]string{
		{"link", "set", dev, "netns", ns},
		in("link", "set", dev, "name", "tun0"),
		in("link", "set", "lo", "up"),
		in("addr", "add", addrString(nodeAddr(i))+"/16", "dev", "tun0"),
		in("link", "set", "tun0", "mtu", "1500", "up"),
	}
	for _, s := range steps {
		if err := ip(s...); err != nil {
			f.Close()
			return nil, err
		}
	}
	if rate != "" {
		if err := setRate(i, rate); err != nil {
			f.Close()
			return nil, err
		}
	}
	return f, nil
}

// setRate puts a tbf of rate on node i's egress (replacing the one there).
func setRate(i int, rate string) error {
	return ip("tc", "-n", nsName(i), "qdisc", "replace", "dev", "tun0", "root",
		"tbf", "rate", rate, "burst", "32kb", "latency", "400ms")
}

// dialIn dials addr from inside node i's namespace: the socket is made on
// a thread that entered the namespace, and stays in it.
func dialIn(ctx context.Context, i int, network, addr string) (net.Conn, error) {
	type result struct {
		c   net.Conn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		// Not unlocked: a thread whose namespace could not be restored
		// must die with its goroutine, which LockOSThread without Unlock
		// makes the runtime do.
		orig, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			ch <- result{nil, err}
			return
		}
		defer orig.Close()
		target, err := os.Open("/run/netns/" + nsName(i))
		if err != nil {
			ch <- result{nil, err}
			return
		}
		defer target.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			ch <- result{nil, fmt.Errorf("setns %s: %w", nsName(i), err)}
			return
		}
		d := net.Dialer{Timeout: 10 * time.Second}
		c, err := d.DialContext(ctx, network, addr)
		if unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
		ch <- result{c, err}
	}()
	r := <-ch
	return r.c, r.err
}

// lockFile is held (flock) by the one run at a time: a second run would
// remove the first one's namespaces. The kernel drops the lock when the
// holder dies, however it dies.
const lockFile = "/run/" + Prefix + ".lock"

// lockHeld keeps the locked file open (and out of the garbage collector's
// reach, whose finalizer would close it and drop the lock).
var lockHeld *os.File

// Lock takes the run lock, or says that another run holds it. The lock is
// held until the process exits.
func Lock() error {
	f, err := os.OpenFile(lockFile, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		return fmt.Errorf("another netsim run is going (%s is locked)", lockFile)
	}
	lockHeld = f
	return nil
}

// Cleanup removes what a run (this one, or an earlier one that crashed)
// left: the processes in its namespaces, the namespaces (their TUN devices
// go with them) and its cgroups.
func Cleanup() {
	out, _ := exec.Command("ip", "netns", "list").Output()
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || !strings.HasPrefix(f[0], Prefix+"-") {
			continue
		}
		pids, _ := exec.Command("ip", "netns", "pids", f[0]).Output()
		for _, p := range strings.Fields(string(pids)) {
			var pid int
			if _, err := fmt.Sscan(p, &pid); err == nil && pid > 1 {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		_ = ip("netns", "del", f[0])
	}
	removeCgroups()
}
