// Command facegate runs face networks and serves the Verifik and OkayFace
// verification APIs from one static binary.
//
//	facegate serve                      run the HTTP service
//	facegate verify PROBE GALLERY...    1:1 compare with liveness, JSON on stdout
//	facegate detect IMAGE               faces, landmarks, quality
//	facegate convert MODEL.onnx OUT.fgw convert an ONNX model
//	facegate infer --model M.fgw ...    run a converted model on .npy inputs
//	facegate inspect M.fgw              operators, parameters, MACs
//	facegate eval lfw|liveness ...      accuracy on labelled sets
//
// Each sub-command lives in its own cmd_<name>.go file and registers itself
// in commands from an init function.
package main

import (
	"flag"
	"fmt"
	"os"
	"sort"
)

// command is one sub-command: run gets the arguments after its name and
// returns the process exit code.
type command struct {
	summary string
	run     func(args []string) int
}

var commands = map[string]command{}

func register(name, summary string, run func(args []string) int) {
	commands[name] = command{summary: summary, run: run}
}

// newFlagSet returns a sub-command's flag set; its usage message is the
// line usage followed by the flags and their defaults.
func newFlagSet(name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), usage)
		fs.PrintDefaults()
	}
	return fs
}

// modelsFlag defines --models, taken by every command that loads the
// pipeline; resolveModelsDir applies the default it documents.
func modelsFlag(fs *flag.FlagSet) *string {
	return fs.String("models", "", "models directory (default $FACEGATE_MODELS, else ./models, else ../shared/models)")
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: facegate COMMAND [arguments]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(os.Stderr, "  %-9s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(os.Stderr, "\nRun 'facegate COMMAND -h' for a command's flags.")
}

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	name := os.Args[1]
	if name == "-h" || name == "--help" || name == "help" {
		usage()
		return
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "facegate: unknown command %q\n", name)
		usage()
		os.Exit(2)
	}
	os.Exit(c.run(os.Args[2:]))
}
