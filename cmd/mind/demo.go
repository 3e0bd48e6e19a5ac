package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mindsdk/mindgo/event"
	"github.com/mindsdk/mindgo/mindtest"
	"github.com/mindsdk/mindgo/session"
	"github.com/mindsdk/mindgo/transport"
	"github.com/mindsdk/mindgo/transport/rtc"
)

// demoConfig is the command line of "mind demo".
type demoConfig struct {
	participants int
	duration     time.Duration
	out          string
	json         bool
}

// Bounds of the demo's command line.
const (
	demoMinParticipants = 3
	demoMaxParticipants = 12
	demoMinDuration     = 2 * time.Second
	demoMaxDuration     = 10 * time.Minute
	// demoSettle is how long the demo waits, after closing everything,
	// for the goroutines to go back to their number before the demo.
	demoSettle = 5 * time.Second
)

func demoUsage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintln(w, "usage: mind demo [--participants N] [--duration D] [--out DIR] [--json]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Starts a reference server on loopback and plays a whole conference on it: a")
	fmt.Fprintln(w, "moderator, a presenter and attendees join; one publishes video and audio, another")
	fmt.Fprintln(w, "a secondary stream, the others record what they receive under --out; they")
	fmt.Fprintln(w, "exchange messages, the moderator renames the conference, starts and stops the")
	fmt.Fprintln(w, "recording and changes a role, the application expels one participant and ends")
	fmt.Fprintln(w, "the conference.")
	fmt.Fprintln(w, "It prints an event log, a statistics table every second and a summary.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Exit status: 0 when media flowed on every recorded stream, the files are valid,")
	fmt.Fprintln(w, "every expected event arrived and everything closed cleanly; 1 otherwise (the")
	fmt.Fprintln(w, "reasons go to stderr); 2 for a bad command line.")
	fmt.Fprintln(w)
	fs.PrintDefaults()
}

func parseDemo(args []string, stderr io.Writer) (demoConfig, error) {
	var cfg demoConfig
	fs := flag.NewFlagSet("mind demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&cfg.participants, "participants", 3,
		fmt.Sprintf("number of participants (%d to %d)", demoMinParticipants, demoMaxParticipants))
	fs.DurationVar(&cfg.duration, "duration", 8*time.Second, "how long the conference lasts")
	fs.StringVar(&cfg.out, "out", "", "`directory` for the recordings (default: a new temporary directory)")
	fs.BoolVar(&cfg.json, "json", false, "print one JSON object per event (NDJSON)")
	fs.Usage = func() { demoUsage(stderr, fs) }
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if cfg.participants < demoMinParticipants || cfg.participants > demoMaxParticipants {
		return cfg, fmt.Errorf("%w: --participants must be between %d and %d", errUsage,
			demoMinParticipants, demoMaxParticipants)
	}
	if cfg.duration < demoMinDuration || cfg.duration > demoMaxDuration {
		return cfg, fmt.Errorf("%w: --duration must be between %s and %s", errUsage, demoMinDuration, demoMaxDuration)
	}
	return cfg, nil
}

// runDemo plays a conference on an embedded server and checks that it
// went as planned.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	const name = "mind demo"
	cfg, err := parseDemo(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		if !errors.Is(err, errUsage) {
			return exitUsage
		}
		return fail(stderr, name, err)
	}
	if cfg.out == "" {
		dir, err := os.MkdirTemp("", "mind-demo-")
		if err != nil {
			return fail(stderr, name, err)
		}
		cfg.out = dir
	} else if err := os.MkdirAll(cfg.out, 0o755); err != nil {
		return fail(stderr, name, err)
	}

	d := &demo{cfg: cfg, log: newEventLog(stdout, cfg.json)}
	res := d.run(ctx)
	d.printSummary(res)
	if err := d.log.writeErr(); err != nil {
		res.problems = append(res.problems, "writing the output: "+err.Error())
	}
	if len(res.problems) > 0 {
		for _, p := range res.problems {
			fmt.Fprintf(stderr, "%s: %s\n", name, p)
		}
		return 1
	}
	return 0
}

// demoPart is one participant of the demo.
type demoPart struct {
	name  string
	role  transport.Role
	id    string
	token string
	s     *session.Session
	// forwarded is closed when the participant's event channel closed.
	forwarded chan struct{}

	mu       sync.Mutex
	seen     map[string]int
	messages []string
	reason   error
}

func (p *demoPart) saw(kind string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.seen[kind]
}

// demo is one run of "mind demo".
type demo struct {
	cfg   demoConfig
	log   *eventLog
	srv   *mindtest.Server
	conf  *mindtest.Conference
	http  *http.Client
	parts []*demoPart
	media *demoMedia
	// engine builds the peer connections of every participant.
	engine *rtc.Engine
	// expected lists the messages each participant must receive.
	expected map[string][]string
	// expelled is the participant the application expels.
	expelled *demoPart
	// played is set once the script ran to its end.
	played bool
}

// demoResult is what the summary reports.
type demoResult struct {
	started, ended      time.Time
	goroutinesBefore    int
	goroutinesAfter     int
	streams             []streamResult
	files               []fileResult
	problems            []string
	messagesDelivered   int
	messagesExpected    int
	sessionsClosedClean int
}

// streamResult is what one recorded stream received.
type streamResult struct {
	Who    string `json:"who"`
	Stream string `json:"stream"`
	Kind   string `json:"kind"`
	Frames uint64 `json:"frames"`
	Bytes  uint64 `json:"bytes"`
}

// fileResult is one recording, as media.Inspect reads it back.
type fileResult struct {
	Path     string        `json:"path"`
	MimeType string        `json:"mimeType,omitempty"`
	Frames   int           `json:"frames"`
	Duration time.Duration `json:"-"`
	Millis   int64         `json:"durationMs"`
	Error    string        `json:"error,omitempty"`
}

var demoNames = []string{"Maya", "Sam", "Ada", "Leo", "Ivy", "Kai", "Noa", "Eli", "Zoe", "Tom", "Uma", "Raj"}

// demoRole gives the role of the i-th participant: a moderator, a
// presenter, then attendees with a speaker among them when there are
// enough.
func demoRole(i int) transport.Role {
	switch i {
	case 0:
		return transport.RoleModerator
	case 1:
		return transport.RolePresenter
	case 3:
		return transport.RoleSpeaker
	}
	return transport.RoleAttendee
}

// run plays the demo. Every problem found is added to the result; the
// demo always cleans up what it started.
func (d *demo) run(ctx context.Context) demoResult {
	var res demoResult
	res.goroutinesBefore = runtime.NumGoroutine()
	res.started = time.Now()
	d.log.note("demo", "demo_started", "%d participants for %s, recordings in %s",
		d.cfg.participants, d.cfg.duration, d.cfg.out)

	// A private client, so that its idle connections can be closed at the
	// end and the goroutine count comes back down.
	d.http = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	if err := d.setUp(ctx); err != nil {
		res.problems = append(res.problems, err.Error())
	} else {
		d.play(ctx, &res)
	}
	d.tearDown(&res)
	res.ended = time.Now()
	d.check(&res)
	return res
}

// setUp starts the server, creates the conference and the participants and
// joins them.
func (d *demo) setUp(ctx context.Context) error {
	srv, err := mindtest.NewServer(&mindtest.Options{ExpelGrace: 200 * time.Millisecond})
	if err != nil {
		return fmt.Errorf("starting the server: %w", err)
	}
	d.srv = srv
	d.log.note("app", "server_started", "%s", srv.URL())
	conf, err := srv.CreateConference("Mind demo", transport.LayoutMosaic)
	if err != nil {
		return fmt.Errorf("creating the conference: %w", err)
	}
	d.conf = conf
	d.log.note("app", "conference_created", "%q %s", "Mind demo", conf.URI())

	for i := 0; i < d.cfg.participants; i++ {
		name := fmt.Sprintf("Guest%d", i+1)
		if i < len(demoNames) {
			name = demoNames[i]
		}
		role := demoRole(i)
		p, err := conf.CreateParticipant(transport.CreateParticipantRequest{Name: name, Role: role})
		if err != nil {
			return fmt.Errorf("creating participant %s: %w", name, err)
		}
		d.parts = append(d.parts, &demoPart{name: name, role: role, id: p.ID, token: p.Token,
			seen: make(map[string]int), forwarded: make(chan struct{})})
		d.log.note("app", "participant_created", "%s (%s)", name, role)
	}
	d.expelled = d.parts[len(d.parts)-1]

	d.engine, err = rtc.NewEngine(rtc.Config{IncludeLoopback: true})
	if err != nil {
		return fmt.Errorf("building the webrtc engine: %w", err)
	}
	d.media = newDemoMedia(d)

	for _, p := range d.parts {
		joinCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
		s, err := session.Join(joinCtx, conf.URI(), p.token, d.sessionOptions())
		cancel()
		if err != nil {
			return fmt.Errorf("%s joining: %w", p.name, err)
		}
		p.s = s
		events, _ := s.Subscribe()
		go d.forward(p, events)
		d.log.note(p.name, "joined", "as %s, %d other participant(s) online", p.role, s.Conference().Len())
	}
	return d.media.start(ctx)
}

// forward logs the events of one participant until its channel closes.
func (d *demo) forward(p *demoPart, events <-chan event.Event) {
	defer close(p.forwarded)
	for ev := range events {
		if st, ok := ev.(event.StatisticsUpdated); ok {
			// Figures go to the table, not to the log.
			d.media.noteStatistics(p, st)
			d.log.count("statistics_updated")
			p.mu.Lock()
			p.seen["statistics_updated"]++
			p.mu.Unlock()
			continue
		}
		d.log.event(p.name, ev)
		r := describeEvent(ev)
		p.mu.Lock()
		p.seen[r.Event]++
		switch e := ev.(type) {
		case event.MessageFromApplication:
			p.messages = append(p.messages, e.Text)
		case event.MessageFromParticipant:
			p.messages = append(p.messages, e.Text)
		case event.Closed:
			p.reason = e.Reason
		}
		p.mu.Unlock()
	}
}

// step is one action of the script, due at a fraction of the duration.
type step struct {
	at   float64
	what string
	do   func(ctx context.Context) error
}

// expect notes that participant to must receive text.
func (d *demo) expect(to *demoPart, text string) {
	if d.expected == nil {
		d.expected = make(map[string][]string)
	}
	d.expected[to.name] = append(d.expected[to.name], text)
}

// play runs the script, refreshing the statistics every second, and ends
// the conference.
func (d *demo) play(ctx context.Context, res *demoResult) {
	moderator, presenter, attendee := d.parts[0], d.parts[1], d.parts[2]
	others := func(except *demoPart) []*demoPart {
		var l []*demoPart
		for _, p := range d.parts {
			if p != except {
				l = append(l, p)
			}
		}
		return l
	}
	steps := []step{
		{0.10, "the moderator greets everyone", func(ctx context.Context) error {
			const text = "Welcome, everyone!"
			for _, p := range others(moderator) {
				d.expect(p, text)
			}
			return moderator.s.SendMessageToAll(ctx, text)
		}},
		{0.12, "the application greets everyone", func(ctx context.Context) error {
			const text = "This conference is a demo of the Mind Go SDK."
			for _, p := range d.parts {
				d.expect(p, text)
			}
			_, err := d.conf.SendMessage(d.conf.ID(), text)
			return err
		}},
		{0.15, "an attendee asks the moderator privately", func(ctx context.Context) error {
			const text = "Can everyone see the slides?"
			d.expect(moderator, text)
			return attendee.s.SendMessageToParticipant(ctx, moderator.id, text)
		}},
		{0.18, "the presenter writes to the application", func(ctx context.Context) error {
			return presenter.s.SendMessageToApplication(ctx, "Slides are ready.")
		}},
		{0.20, "the application answers the presenter", func(ctx context.Context) error {
			const text = "Thanks, noted."
			d.expect(presenter, text)
			_, err := d.conf.SendMessage(presenter.id, text)
			return err
		}},
		{0.25, "the moderator renames the conference", func(ctx context.Context) error {
			return moderator.s.SetConferenceName(ctx, "Mind demo (live)")
		}},
		{0.30, "the moderator starts recording", func(ctx context.Context) error {
			return moderator.s.StartRecording(ctx)
		}},
		{0.45, "the moderator makes an attendee a speaker", func(ctx context.Context) error {
			return moderator.s.SetRole(ctx, attendee.id, transport.RoleSpeaker)
		}},
		{0.60, "the moderator stops recording", func(ctx context.Context) error {
			return moderator.s.StopRecording(ctx)
		}},
		{0.75, "the application expels " + d.expelled.name, func(ctx context.Context) error {
			return d.conf.Expel(d.expelled.id)
		}},
	}

	start := time.Now()
	ticker := time.NewTicker(time.Second)
	defer ticker.Stop()
	next := 0
	for {
		var due <-chan time.Time
		var timer *time.Timer
		at := d.cfg.duration
		if next < len(steps) {
			at = time.Duration(steps[next].at * float64(d.cfg.duration))
		}
		timer = time.NewTimer(time.Until(start.Add(at)))
		due = timer.C
		select {
		case <-ctx.Done():
			timer.Stop()
			res.problems = append(res.problems, "interrupted")
			d.endConference()
			return
		case <-ticker.C:
			timer.Stop()
			d.log.table("", d.media.stats())
			continue
		case <-due:
		}
		if next == len(steps) {
			break
		}
		st := steps[next]
		next++
		d.log.note("script", "action", "%s", st.what)
		stepCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := st.do(stepCtx)
		cancel()
		if err != nil {
			res.problems = append(res.problems, fmt.Sprintf("%s: %v", st.what, err))
		}
	}
	d.log.table("", d.media.stats())
	d.log.note("script", "action", "the application ends the conference")
	d.endConference()
	d.played = true

	// The application must have received the presenter's message.
	found := slices.ContainsFunc(d.conf.MessagesToApplication(), func(m transport.Message) bool {
		return m.Text == "Slides are ready." && m.SentBy == presenter.id
	})
	if !found {
		res.problems = append(res.problems, "the application did not receive the presenter's message")
	}
}

// endConference ends the conference as the application.
func (d *demo) endConference() {
	if d.conf == nil {
		return
	}
	if err := d.conf.End(); err != nil && !errors.Is(err, mindtest.ErrEnded) {
		d.log.note("app", "error", "ending the conference: %v", err)
	}
}

// tearDown waits for the sessions to end, closes everything and counts the
// goroutines left.
func (d *demo) tearDown(res *demoResult) {
	d.endConference() // again, in case the script did not get that far
	// The end of the conference ends every session; wait for it, bounded.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, p := range d.parts {
		if p.s == nil {
			continue
		}
		select {
		case <-p.s.Done():
		case <-ctx.Done():
			res.problems = append(res.problems, p.name+": the session did not end with the conference")
		}
	}
	if d.media != nil {
		d.media.close()
	}
	for _, p := range d.parts {
		if p.s == nil {
			continue
		}
		if err := p.s.Close(); err != nil {
			res.problems = append(res.problems, fmt.Sprintf("%s: closing the session: %v", p.name, err))
		}
		select {
		case <-p.forwarded:
		case <-time.After(5 * time.Second):
			res.problems = append(res.problems, p.name+": the event channel did not close")
		}
	}
	if d.srv != nil {
		if err := d.srv.Close(); err != nil {
			res.problems = append(res.problems, "closing the server: "+err.Error())
		}
	}
	d.http.CloseIdleConnections()

	deadline := time.Now().Add(demoSettle)
	for {
		res.goroutinesAfter = runtime.NumGoroutine()
		if res.goroutinesAfter <= res.goroutinesBefore || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// check compares what happened with the script.
func (d *demo) check(res *demoResult) {
	if res.goroutinesAfter > res.goroutinesBefore {
		res.problems = append(res.problems, fmt.Sprintf("%d goroutine(s) left after closing (%d before, %d after)",
			res.goroutinesAfter-res.goroutinesBefore, res.goroutinesBefore, res.goroutinesAfter))
	}
	for _, p := range d.parts {
		if p.s == nil {
			continue
		}
		want := session.ErrConferenceEnded
		if p == d.expelled {
			want = session.ErrExpelled
		}
		p.mu.Lock()
		reason := p.reason
		p.mu.Unlock()
		if errors.Is(p.s.Err(), want) && errors.Is(reason, want) {
			res.sessionsClosedClean++
		} else {
			res.problems = append(res.problems, fmt.Sprintf("%s: session ended with %v (events: %v), want %v",
				p.name, p.s.Err(), reason, want))
		}
	}
	if !d.played {
		// The script did not run to its end: what it would have caused
		// proves nothing.
		return
	}
	for _, p := range d.parts {
		p.mu.Lock()
		got := slices.Clone(p.messages)
		p.mu.Unlock()
		for _, text := range d.expected[p.name] {
			res.messagesExpected++
			if i := slices.Index(got, text); i >= 0 {
				res.messagesDelivered++
				got = slices.Delete(got, i, i+1)
			} else {
				res.problems = append(res.problems, fmt.Sprintf("%s did not receive %q", p.name, text))
			}
		}
	}
	d.checkEvents(res)
	d.media.check(res)
}

// checkEvents checks that the participants saw the changes of the script.
func (d *demo) checkEvents(res *demoResult) {
	attendee := d.parts[2]
	for _, p := range d.parts {
		// The moderator sees its own changes too: the model shows them.
		want := []string{"conference_name_changed", "recording_started", "recording_stopped"}
		switch {
		case p == d.expelled:
			want = append(want, "me_expelled")
		default:
			want = append(want, "conference_ended", "participant_exited")
		}
		if p == attendee {
			want = append(want, "me_role_changed")
		} else {
			want = append(want, "participant_role_changed")
		}
		var missing []string
		for _, kind := range want {
			if p.saw(kind) == 0 {
				missing = append(missing, kind)
			}
		}
		if len(missing) > 0 {
			res.problems = append(res.problems, fmt.Sprintf("%s did not see: %s", p.name, strings.Join(missing, ", ")))
		}
	}
}

// sessionOptions are the options every participant joins with: media
// over loopback, from one shared WebRTC engine.
func (d *demo) sessionOptions() *session.Options {
	return &session.Options{
		HTTPClient: d.http,
		Media:      session.MediaOptions{Engine: d.engine},
	}
}
