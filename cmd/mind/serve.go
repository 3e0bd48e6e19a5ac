package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/mindsdk/mindgo/mindtest"
)

// serveInfo is the first line "mind serve" prints: what a client needs to
// use the server.
type serveInfo struct {
	URL              string `json:"url"`
	ApplicationID    string `json:"applicationId"`
	ApplicationToken string `json:"applicationToken"`
}

// runServe runs the reference server until ctx ends (SIGINT or SIGTERM in
// the command). The first line on stdout is a JSON serveInfo; logs go to
// stderr.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mind serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:0", "listen `address` (host:port; port 0 picks a free one)")
	verbose := fs.Bool("v", false, "log every request")
	ping := fs.Duration("ping-interval", 15*time.Second, "WebSocket keepalive ping interval")
	grace := fs.Duration("expel-grace", 500*time.Millisecond,
		"wait after a close code before closing a participant's transports")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: mind serve [flags]")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "Runs the reference Mind API server. The first line on stdout is a JSON object")
		fmt.Fprintln(stderr, "with the server URL, the application ID and the application token.")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return usageStatus(err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "mind serve: unexpected argument %q\n", fs.Arg(0))
		return 2
	}

	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	srv, err := mindtest.NewServer(&mindtest.Options{
		Addr: *addr, Logger: logger, PingInterval: *ping, ExpelGrace: *grace,
	})
	if err != nil {
		fmt.Fprintf(stderr, "mind serve: %v\n", err)
		return 1
	}

	info, err := json.Marshal(serveInfo{
		URL: srv.URL(), ApplicationID: srv.ApplicationID(), ApplicationToken: srv.ApplicationToken(),
	})
	if err == nil {
		_, err = fmt.Fprintf(stdout, "%s\n", info)
	}
	if err != nil {
		fmt.Fprintf(stderr, "mind serve: writing the server info: %v\n", err)
		_ = srv.Close()
		return 1
	}

	<-ctx.Done()
	logger.Info("mind serve: shutting down")
	if err := srv.Close(); err != nil {
		fmt.Fprintf(stderr, "mind serve: %v\n", err)
		return 1
	}

	return 0
}

// usageStatus is the exit status for a flag parsing error: 0 when help
// was asked for, 2 otherwise.
func usageStatus(err error) int {
	if err == flag.ErrHelp {
		return 0
	}
	return 2
}
