// Command kalyan-operator provisions and registers the Kalyan platform's hospital units
// (HospitalUnit custom resources) and onboards them from the units dataset.
package main

import (
	"fmt"
	"os"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "kalyan-operator:", err)
		os.Exit(1)
	}
}
