package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"

	"github.com/mindsdk/mindgo/transport"
)

// conferenceCreated is what "mind conference create" prints.
type conferenceCreated struct {
	transport.Conference
	// URI is the conference URI participants join.
	URI string `json:"uri"`
}

// runConferenceCreate creates a conference with A1 and prints it with its
// URI.
func runConferenceCreate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	const name = "mind conference create"
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", "", "server `URL`, for example http://127.0.0.1:8080 (or URL/APPLICATION_ID)")
	appID := fs.String("app-id", os.Getenv("MIND_APP_ID"), "application `ID` (default $MIND_APP_ID)")
	token := fs.String("app-token", "", "application `token` (default $"+appTokenEnv+")")
	confName := fs.String("name", "Conference", "conference `name`")
	layout := fs.String("layout", "mosaic", "`layout`: mosaic, selector, presenting_mosaic or presenting_selector")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: mind conference create --server URL --app-id ID --app-token TOKEN")
		fmt.Fprintln(stderr, "                              [--name N] [--layout L]")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "Creates a conference and prints it as JSON, with its URI.")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return usageStatus(err)
	}
	if fs.NArg() > 0 {
		return fail(stderr, name, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0)))
	}

	l, err := transport.ParseLayout(*layout)
	if err != nil {
		return fail(stderr, name, fmt.Errorf("%w: --layout: %v", errUsage, err))
	}
	url, err := applicationURL(*server, *appID)
	if err != nil {
		return fail(stderr, name, err)
	}
	tok, err := resolveToken(*token, os.Getenv)
	if err != nil {
		return fail(stderr, name, err)
	}

	c := &appClient{http: http.DefaultClient, token: tok}
	var out conferenceCreated
	req := transport.CreateConferenceRequest{Name: *confName, Layout: l}
	if err := c.post(ctx, url, req, &out.Conference); err != nil {
		return fail(stderr, name, err)
	}
	out.URI = url + "/" + out.ID
	if err := printJSON(stdout, out); err != nil {
		return fail(stderr, name, err)
	}

	return 0
}
