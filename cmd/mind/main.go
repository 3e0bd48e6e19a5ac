// Command mind is the command-line companion of the mindgo SDK. Run
// "mind help" for the list of subcommands.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// A command is one subcommand. It parses its own flags from args, writes
// its results to stdout and its diagnostics to stderr, and returns the
// process exit status. It ends when its work is done or ctx is done.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

// commands lists the subcommands by the words that select them. Nested
// groups ("conference create") are written as one key with a space.
var commands = map[string]command{
	"serve":              {"run the reference Mind API server", runServe},
	"conference create":  {"create a conference through the application API", runConferenceCreate},
	"participant create": {"create a participant through the application API", runParticipantCreate},
	"join":               {"join a conference as a participant: events, media, recording", runJoin},
	"demo":               {"play a whole conference on an embedded server and check it", runDemo},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run selects the subcommand named by the first one or two words of args
// and runs it. It returns 2 for usage errors.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	if len(args) >= 2 {
		if c, ok := commands[args[0]+" "+args[1]]; ok {
			return c.run(ctx, args[2:], stdout, stderr)
		}
	}
	if c, ok := commands[args[0]]; ok {
		return c.run(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "mind: unknown command %q\n\n", joinWords(args))
	usage(stderr)

	return 2
}

// joinWords returns the first two words of args, for error messages.
func joinWords(args []string) string {
	if len(args) >= 2 && args[1] != "" && args[1][0] != '-' {
		return args[0] + " " + args[1]
	}
	return args[0]
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: mind <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-20s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, `Run "mind <command> -h" for the flags of a command.`)
}
