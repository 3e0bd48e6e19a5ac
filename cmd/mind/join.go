package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/mindsdk/mindgo/event"
	"github.com/mindsdk/mindgo/session"
	"github.com/mindsdk/mindgo/transport"
)

// Exit statuses of "mind join".
const (
	exitInterrupted = 0 // SIGINT or SIGTERM: the session was left cleanly
	exitFailure     = 1 // the join failed, or the session broke
	exitUsage       = 2 // bad command line
	exitEnded       = 3 // the application ended the conference
	exitExpelled    = 4 // the participant was expelled
)

// participantTokenEnv names the environment variable that holds the
// participant token when --token is not given.
const participantTokenEnv = "MIND_TOKEN"

// stringList is a flag that may be repeated.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(v string) error {
	if v == "" {
		return errors.New("empty file name")
	}
	*l = append(*l, v)
	return nil
}

// joinConfig is the validated command line of "mind join".
type joinConfig struct {
	uri         string
	token       string
	noMedia     bool
	publish     []string
	secondary   []string
	record      string
	json        bool
	stats       time.Duration
	joinTimeout time.Duration
	verbose     bool
}

func joinUsage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintln(w, "usage: mind join --uri CONFERENCE_URI [--token TOKEN] [--no-media]")
	fmt.Fprintln(w, "                 [--publish FILE]... [--secondary FILE]... [--record DIR]")
	fmt.Fprintln(w, "                 [--json] [--stats INTERVAL] [-v]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Joins a conference as a participant, prints its events, publishes media files")
	fmt.Fprintln(w, "and records the streams it receives, until interrupted or until the server ends")
	fmt.Fprintln(w, "the session. The token may come from $"+participantTokenEnv+"; it is never printed.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Media files are chosen by extension: .ivf (VP8 video; give up to three of")
	fmt.Fprintln(w, "different sizes for simulcast layers), .h264 (H.264 Annex-B video) and .ogg")
	fmt.Fprintln(w, "(Opus audio). Each of --publish (primary stream) and --secondary takes at most")
	fmt.Fprintln(w, "one audio file and one video. --record DIR writes every remote stream it")
	fmt.Fprintln(w, "receives (the conference stream and participants' primary and secondary")
	fmt.Fprintln(w, "streams) as .ivf, .ogg or .h264 files.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Exit status: 0 interrupted (SIGINT/SIGTERM), 1 failure (join refused, server")
	fmt.Fprintln(w, "unreachable, connection lost for good), 2 bad command line, 3 conference ended,")
	fmt.Fprintln(w, "4 expelled from the conference.")
	fmt.Fprintln(w)
	fs.PrintDefaults()
}

// parseJoin parses and checks the command line. A help request returns
// flag.ErrHelp.
func parseJoin(args []string, stderr io.Writer, getenv func(string) string) (joinConfig, error) {
	var cfg joinConfig
	var publish, secondary stringList
	fs := flag.NewFlagSet("mind join", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.uri, "uri", "", "conference `URI`, http(s)://HOST/APPLICATION_ID/CONFERENCE_ID")
	fs.StringVar(&cfg.token, "token", "", "participant `token` (default $"+participantTokenEnv+")")
	fs.BoolVar(&cfg.noMedia, "no-media", false, "join without media (notifications over a WebSocket)")
	fs.Var(&publish, "publish", "publish `FILE` in the primary stream (repeatable)")
	fs.Var(&secondary, "secondary", "publish `FILE` in the secondary stream (repeatable)")
	fs.StringVar(&cfg.record, "record", "", "record received streams into `DIR` (created if missing)")
	fs.BoolVar(&cfg.json, "json", false, "print one JSON object per event (NDJSON)")
	fs.DurationVar(&cfg.stats, "stats", 0, "print media statistics every `INTERVAL` (0: never)")
	fs.DurationVar(&cfg.joinTimeout, "join-timeout", 20*time.Second, "give up joining after this `duration`")
	fs.BoolVar(&cfg.verbose, "v", false, "log the session's diagnostics to stderr")
	fs.Usage = func() { joinUsage(stderr, fs) }
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	cfg.publish, cfg.secondary = publish, secondary
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if cfg.uri == "" {
		return cfg, fmt.Errorf("%w: --uri is required", errUsage)
	}
	if _, err := transport.ParseConferenceURI(cfg.uri); err != nil {
		return cfg, fmt.Errorf("%w: --uri: %v", errUsage, err)
	}
	if cfg.token == "" {
		cfg.token = getenv(participantTokenEnv)
	}
	if cfg.token == "" {
		return cfg, fmt.Errorf("%w: the participant token is required (--token or %s)", errUsage, participantTokenEnv)
	}
	if cfg.stats < 0 {
		return cfg, fmt.Errorf("%w: --stats must not be negative", errUsage)
	}
	if cfg.joinTimeout <= 0 {
		return cfg, fmt.Errorf("%w: --join-timeout must be positive", errUsage)
	}
	if cfg.noMedia && (len(cfg.publish) > 0 || len(cfg.secondary) > 0 || cfg.record != "") {
		return cfg, fmt.Errorf("%w: --no-media excludes --publish, --secondary and --record", errUsage)
	}
	for _, list := range [][]string{cfg.publish, cfg.secondary} {
		if err := checkStreamFiles(list); err != nil {
			return cfg, err
		}
	}
	if cfg.record != "" {
		if err := checkRecordDir(cfg.record); err != nil {
			return cfg, fmt.Errorf("%w: --record: %v", errUsage, err)
		}
	}

	return cfg, nil
}

// runJoin joins a conference and reports its events until the session ends
// or ctx is done.
func runJoin(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	const name = "mind join"
	cfg, err := parseJoin(args, stderr, os.Getenv)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		if !errors.Is(err, errUsage) { // the flag package printed it
			return exitUsage
		}
		return fail(stderr, name, err)
	}

	log := newEventLog(stdout, cfg.json)
	j := &joiner{cfg: cfg, log: log}
	if cfg.verbose {
		j.logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	code, err := j.run(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %s\n", name, scrub(err.Error(), cfg.token))
	}
	return code
}

// scrub removes the token from a message, as a last line of defence: no
// package is supposed to put it there.
func scrub(msg, token string) string {
	if token == "" {
		return msg
	}
	return strings.ReplaceAll(msg, token, "[token]")
}

// joiner is one run of "mind join".
type joiner struct {
	cfg    joinConfig
	log    *eventLog
	logger *slog.Logger // nil: silent
}

// run joins and then follows the session. It returns the exit status and
// the error to report, if any.
func (j *joiner) run(ctx context.Context) (int, error) {
	streams, err := j.openStreams()
	if err != nil {
		return exitFailure, err
	}

	joinCtx, cancel := context.WithTimeout(ctx, j.cfg.joinTimeout)
	s, err := session.Join(joinCtx, j.cfg.uri, j.cfg.token, j.sessionOptions())
	cancel()
	if err != nil {
		return joinFailureStatus(ctx, err), joinError(ctx, err)
	}
	defer s.Close()

	events, unsubscribe := s.Subscribe()
	defer unsubscribe()
	j.printJoined(s)

	media, err := j.startMedia(ctx, s, streams)
	defer media.close()
	if err != nil {
		if ctx.Err() != nil {
			return exitInterrupted, nil
		}
		return exitFailure, err
	}

	var tick <-chan time.Time
	if j.cfg.stats > 0 {
		t := time.NewTicker(j.cfg.stats)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			j.log.note("", "leaving", "interrupted")
			if err := s.Close(); err != nil {
				return exitFailure, err
			}
			media.close()
			j.printRecordings(media)
			return exitInterrupted, nil
		case <-tick:
			j.log.table("", media.stats())
		case ev, ok := <-events:
			if !ok {
				return exitFailure, errors.New("the event stream ended unexpectedly")
			}
			if _, isStats := ev.(event.StatisticsUpdated); !isStats {
				j.log.event("", ev) // statistics go to the table
			}
			media.handle(ctx, s, ev)
			if c, ok := ev.(event.Closed); ok {
				media.close()
				j.printRecordings(media)
				return closedStatus(c.Reason)
			}
		}
	}
}

// sessionOptions are the options of the join. A server on a loopback
// address can only be reached from loopback candidates, which pion does not
// gather unless asked to.
func (j *joiner) sessionOptions() *session.Options {
	opts := &session.Options{SignallingOnly: j.cfg.noMedia, Logger: j.logger}
	if u, err := url.Parse(j.cfg.uri); err == nil {
		if ip := net.ParseIP(u.Hostname()); u.Hostname() == "localhost" || (ip != nil && ip.IsLoopback()) {
			opts.Media.RTC.IncludeLoopback = true
		}
	}
	return opts
}

// closedStatus maps the reason a session ended to the exit status.
func closedStatus(reason error) (int, error) {
	switch {
	case errors.Is(reason, session.ErrConferenceEnded):
		return exitEnded, nil
	case errors.Is(reason, session.ErrExpelled):
		return exitExpelled, nil
	}
	return exitFailure, fmt.Errorf("session ended: %v", reason)
}

// joinFailureStatus is the exit status of a failed join.
func joinFailureStatus(ctx context.Context, err error) int {
	switch {
	case ctx.Err() != nil:
		return exitInterrupted
	case errors.Is(err, session.ErrConferenceEnded):
		return exitEnded
	case errors.Is(err, session.ErrExpelled):
		return exitExpelled
	case errors.Is(err, session.ErrMalformedURI):
		return exitUsage
	}
	return exitFailure
}

// joinError explains a failed join in one line.
func joinError(ctx context.Context, err error) error {
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("interrupted while joining: %w", err)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("joining timed out (server unreachable?): %w", err)
	case isNetworkError(err):
		return fmt.Errorf("cannot reach the server: %w", err)
	case errors.Is(err, session.ErrUnauthorized):
		return fmt.Errorf("the server refused the token: %w", err)
	case errors.Is(err, session.ErrNotFound):
		return fmt.Errorf("no such conference or participant: %w", err)
	}
	return fmt.Errorf("joining failed: %w", err)
}

// isNetworkError reports whether err comes from the network rather than
// from an answer of the server: a refused connection, an unknown host, ...
func isNetworkError(err error) bool {
	var op *net.OpError
	var dns *net.DNSError
	return errors.As(err, &op) || errors.As(err, &dns)
}

// printJoined reports the model the session starts from.
func (j *joiner) printJoined(s *session.Session) {
	c := s.Conference()
	me := c.Me()
	j.log.emit(logRecord{
		Event: "joined", Conference: confView(c), Participant: viewOfMe(me),
		Summary: fmt.Sprintf("conference %q as %s (%s), %d other participant(s) online, recording %v",
			c.Name(), displayName(me.Name, me.ID), me.Role, c.Len(), c.Recording()),
	})
	for p := range c.All() {
		r := participantRecord("participant_online", p,
			fmt.Sprintf("primary %s, secondary %s", mediaText(p.Media), mediaText(p.SecondaryMedia)))
		j.log.emit(r)
	}
}
