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

// runParticipantCreate creates a participant with A5 and prints it with
// its token.
func runParticipantCreate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	const name = "mind participant create"
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	uri := fs.String("uri", "", "conference `URI` (as printed by mind conference create)")
	token := fs.String("app-token", "", "application `token` (default $"+appTokenEnv+")")
	pName := fs.String("name", "Participant", "participant `name`")
	role := fs.String("role", "attendee", "`role`: attendee, speaker, presenter or moderator")
	language := fs.String("language", "en", "`language` (ISO 639-1 code of the protocol's list)")
	priority := fs.Float64("priority", 1, "layout `priority`")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: mind participant create --uri CONFERENCE_URI --app-token TOKEN [--name N] [--role R]")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "Creates a participant and prints it as JSON, with its token.")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return usageStatus(err)
	}
	if fs.NArg() > 0 {
		return fail(stderr, name, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0)))
	}

	u, err := transport.ParseConferenceURI(*uri)
	if err != nil {
		return fail(stderr, name, fmt.Errorf("%w: --uri: %v", errUsage, err))
	}
	r, err := transport.ParseRole(*role)
	if err != nil {
		return fail(stderr, name, fmt.Errorf("%w: --role: %v", errUsage, err))
	}
	lang, err := transport.ParseLanguage(*language)
	if err != nil {
		return fail(stderr, name, fmt.Errorf("%w: --language: %v", errUsage, err))
	}
	tok, err := resolveToken(*token, os.Getenv)
	if err != nil {
		return fail(stderr, name, err)
	}

	c := &appClient{http: http.DefaultClient, token: tok}
	req := transport.CreateParticipantRequest{Name: *pName, Role: r, Language: lang, Priority: priority}
	var out transport.ParticipantWithToken
	if err := c.post(ctx, u.URL("/participants"), req, &out); err != nil {
		return fail(stderr, name, err)
	}
	if err := printJSON(stdout, out); err != nil {
		return fail(stderr, name, err)
	}

	return 0
}
