package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"

	"github.com/facegate/facegate/kernels"
	"github.com/klauspost/cpuid/v2"
)

func init() {
	register("cpu", "kernel levels this CPU supports and the one in use", runCPU)
}

// runCPU prints the dispatch level in force (FACEGATE_CPU may force one) and,
// with --levels, only the supported level names, one per line, for scripts
// that run the tests at every level.
func runCPU(args []string) int {
	fs := flag.NewFlagSet("cpu", flag.ContinueOnError)
	levels := fs.Bool("levels", false, "print only the supported level names, one per line")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *levels {
		fmt.Println(strings.Join(kernels.Levels(), "\n"))
		return 0
	}
	fmt.Printf("cpu       %s (%s/%s, %d logical cores)\n", cpuid.CPU.BrandName, runtime.GOOS, runtime.GOARCH, runtime.NumCPU())
	fmt.Printf("level     %s\n", kernels.Level())
	fmt.Printf("supported %s\n", strings.Join(kernels.Levels(), " "))
	if note := kernels.LevelNote(); note != "" {
		fmt.Fprintln(os.Stderr, "note:", note)
	}
	return 0
}
