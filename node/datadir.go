//go:build unix

package node

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// lockFileName is the file in the data dir that a running node holds
// locked (flock) and writes its pid to, so that a second node on the same
// dir is refused with a message that says who holds it, not LevelDB's
// "resource temporarily unavailable".
const lockFileName = "LOCK"

// errDataDirInUse is the refusal of a data dir that another node holds.
var errDataDirInUse = errors.New("in use by another tinychain node")

// lockDataDir takes the data dir's lock for this process and returns
// what releases it. The kernel drops the lock when the process ends, so a
// crashed node leaves nothing to clean up.
func lockDataDir(dir string) (release func(), err error) {
	path := filepath.Join(dir, lockFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("data dir %s: %w", dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		b, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			pid := "unknown"
			if p, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil {
				pid = strconv.Itoa(p)
			}
			return nil, fmt.Errorf("data dir %s is %w (pid %s)", dir, errDataDirInUse, pid)
		}
		return nil, fmt.Errorf("data dir %s: lock %s: %w", dir, path, err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return func() {
		_ = f.Truncate(0)
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
