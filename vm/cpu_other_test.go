//go:build !unix

package vm_test

// cpuSeconds is not measured here.
func cpuSeconds() float64 { return 0 }
