//go:build unix

package receiptpdf

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time (user+system) this process has used. The
// benchmark reports throughput per CPU-second too, because wall-clock
// figures on a shared machine measure the neighbours as much as the code.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
