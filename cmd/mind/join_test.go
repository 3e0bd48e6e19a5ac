package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/mindsdk/mindgo/media"
	"github.com/mindsdk/mindgo/mindtest"
	"github.com/mindsdk/mindgo/transport"
)

// syncBuffer is a bytes.Buffer that a command writes while a test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor polls until the output contains want or ctx ends.
func waitFor(ctx context.Context, t *testing.T, out *syncBuffer, want string) {
	t.Helper()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !strings.Contains(out.String(), want) {
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %q in output:\n%s", want, out.String())
		case <-tick.C:
		}
	}
}

// joinFixture is a server with a conference and one participant for
// "mind join" to use.
type joinFixture struct {
	srv   *mindtest.Server
	conf  *mindtest.Conference
	p     transport.ParticipantWithToken
	other transport.ParticipantWithToken
}

func newJoinFixture(t *testing.T) *joinFixture {
	t.Helper()
	srv, err := mindtest.NewServer(&mindtest.Options{ExpelGrace: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	conf, err := srv.CreateConference("Join test", transport.LayoutMosaic)
	if err != nil {
		t.Fatal(err)
	}
	p, err := conf.CreateParticipant(transport.CreateParticipantRequest{Name: "Cli", Role: transport.RoleAttendee})
	if err != nil {
		t.Fatal(err)
	}
	other, err := conf.CreateParticipant(transport.CreateParticipantRequest{Name: "Other", Role: transport.RoleSpeaker})
	if err != nil {
		t.Fatal(err)
	}
	return &joinFixture{srv: srv, conf: conf, p: p, other: other}
}

// startJoin runs "mind join" with args in the background and returns its
// output buffers and a channel with its exit status.
func startJoin(ctx context.Context, args ...string) (stdout, stderr *syncBuffer, done chan int) {
	stdout, stderr, done = &syncBuffer{}, &syncBuffer{}, make(chan int, 1)
	go func() { done <- run(ctx, append([]string{"join"}, args...), stdout, stderr) }()
	return stdout, stderr, done
}

func waitExit(ctx context.Context, t *testing.T, done chan int, stderr *syncBuffer) int {
	t.Helper()
	select {
	case code := <-done:
		return code
	case <-ctx.Done():
		t.Fatalf("mind join did not exit; stderr:\n%s", stderr.String())
		return -1
	}
}

func TestJoinNoMediaFollowsEventsUntilTheEnd(t *testing.T) {
	ctx := testContext(t)
	f := newJoinFixture(t)
	stdout, stderr, done := startJoin(ctx, "--uri", f.conf.URI(), "--token", f.p.Token, "--no-media", "--json")

	if err := f.conf.WaitOnline(ctx, f.p.ID, true); err != nil {
		t.Fatal(err)
	}
	waitFor(ctx, t, stdout, `"event":"joined"`)
	if _, err := f.conf.SendMessage(f.p.ID, "hello from the app"); err != nil {
		t.Fatal(err)
	}
	if err := f.conf.Rename("Renamed"); err != nil {
		t.Fatal(err)
	}
	waitFor(ctx, t, stdout, `"event":"conference_name_changed"`)
	if err := f.conf.End(); err != nil {
		t.Fatal(err)
	}
	if code := waitExit(ctx, t, done, stderr); code != exitEnded {
		t.Fatalf("exit %d, want %d; stderr %q", code, exitEnded, stderr.String())
	}

	// Every line is one JSON object; the events arrived in order.
	var kinds []string
	for line := range strings.Lines(stdout.String()) {
		var r logRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		kinds = append(kinds, r.Event)
		if r.Event == "message_from_application" && r.Text != "hello from the app" {
			t.Errorf("message text %q", r.Text)
		}
	}
	want := []string{"joined", "message_from_application", "conference_name_changed", "conference_ended", "closed"}
	if !isSubsequence(want, kinds) {
		t.Fatalf("events %v, want in order %v", kinds, want)
	}
	if strings.Contains(stdout.String()+stderr.String(), f.p.Token) {
		t.Fatal("the token was printed")
	}
}

func isSubsequence(want, got []string) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}

func TestJoinExpelledAndInterrupted(t *testing.T) {
	ctx := testContext(t)
	f := newJoinFixture(t)
	t.Setenv(participantTokenEnv, f.p.Token)

	// Expelled: status 4. The token comes from the environment.
	stdout, stderr, done := startJoin(ctx, "--uri", f.conf.URI(), "--no-media")
	if err := f.conf.WaitOnline(ctx, f.p.ID, true); err != nil {
		t.Fatal(err)
	}
	waitFor(ctx, t, stdout, "joined")
	if err := f.conf.Expel(f.p.ID); err != nil {
		t.Fatal(err)
	}
	if code := waitExit(ctx, t, done, stderr); code != exitExpelled {
		t.Fatalf("exit %d, want %d; stderr %q", code, exitExpelled, stderr.String())
	}
	if !strings.Contains(stdout.String(), "me expelled") {
		t.Fatalf("human output without the expulsion:\n%s", stdout.String())
	}

	// Interrupted: status 0, and the participant goes offline.
	jctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stdout, stderr, done = startJoin(jctx, "--uri", f.conf.URI(), "--token", f.other.Token, "--no-media",
		"--stats", "20ms")
	if err := f.conf.WaitOnline(ctx, f.other.ID, true); err != nil {
		t.Fatal(err)
	}
	waitFor(ctx, t, stdout, "statistics")
	cancel()
	if code := waitExit(ctx, t, done, stderr); code != exitInterrupted {
		t.Fatalf("exit %d, want %d; stderr %q", code, exitInterrupted, stderr.String())
	}
	if err := f.conf.WaitOnline(ctx, f.other.ID, false); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{f.p.Token, f.other.Token} {
		if strings.Contains(stdout.String()+stderr.String(), tok) {
			t.Fatal("the token was printed")
		}
	}
}

func TestJoinBadCommandLines(t *testing.T) {
	t.Setenv(participantTokenEnv, "")
	const secret = "s3cret-token-value"
	uri := "http://127.0.0.1:1/0c7a8f2e-1b3d-4e5f-9a6b-7c8d9e0f1a2b/5f4e3d2c-1b0a-4987-8654-3210fedcba98"
	tmp := t.TempDir()
	notDir := filepath.Join(tmp, "file")
	if err := os.WriteFile(notDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	readOnly := filepath.Join(tmp, "ro")
	if err := os.Mkdir(readOnly, 0o555); err != nil {
		t.Fatal(err)
	}
	type badCase struct {
		name string
		args []string
		code int
		want string
	}
	recordCases := []badCase{
		{"record into a file", []string{"--uri", uri, "--token", secret, "--record", notDir}, 2, "--record"},
		{"record under a file", []string{"--uri", uri, "--token", secret, "--record", filepath.Join(notDir, "x")}, 2,
			"--record"},
	}
	if os.Geteuid() != 0 { // root writes anywhere
		recordCases = append(recordCases, badCase{"record into a read-only directory",
			[]string{"--uri", uri, "--token", secret, "--record", readOnly}, 2, "not writable"})
	}
	for _, tc := range append(recordCases, []badCase{
		{"record into a new directory", []string{"--uri", uri, "--token", secret, "--record", filepath.Join(tmp, "new", "dir")},
			1, "cannot reach the server"},
	}...) {
		code, _, errOut := runCmd(t, append([]string{"join"}, tc.args...)...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("%s: exit %d, stderr %q; want %d and %q", tc.name, code, errOut, tc.code, tc.want)
		}
	}
	if entries, err := os.ReadDir(filepath.Join(tmp, "new", "dir")); err != nil || len(entries) != 0 {
		t.Errorf("new record directory: %v, %v", entries, err)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no uri", []string{"--token", secret}, 2, "--uri is required"},
		{"malformed uri", []string{"--uri", "http://example.com/a/b", "--token", secret}, 2, "--uri"},
		{"uri with query", []string{"--uri", uri + "?x=1", "--token", secret}, 2, "--uri"},
		{"no token", []string{"--uri", uri}, 2, "token is required"},
		{"unknown flag", []string{"--uri", uri, "--token", secret, "--loud"}, 2, "flag provided but not defined"},
		{"extra argument", []string{"--uri", uri, "--token", secret, "now"}, 2, "unexpected argument"},
		{"no media and publish", []string{"--uri", uri, "--token", secret, "--no-media", "--publish", "a.ivf"}, 2,
			"--no-media excludes"},
		{"bad extension", []string{"--uri", uri, "--token", secret, "--publish", "a.mp4"}, 2, "unknown media type"},
		{"two audio files", []string{"--uri", uri, "--token", secret, "--publish", "a.ogg", "--publish", "b.ogg"}, 2,
			"at most one .ogg"},
		{"negative stats", []string{"--uri", uri, "--token", secret, "--stats", "-1s"}, 2, "--stats"},
		{"bad duration", []string{"--uri", uri, "--token", secret, "--stats", "soon"}, 2, "invalid value"},
		{"missing file", []string{"--uri", uri, "--token", secret, "--publish", "/nonexistent/x.ivf"}, 1,
			"--publish"},
		{"unreachable server", []string{"--uri", uri, "--token", secret, "--no-media"}, 1, "cannot reach the server"},
		{"unreachable server with media", []string{"--uri", uri, "--token", secret}, 1, "cannot reach the server"},
	} {
		code, out, errOut := runCmd(t, append([]string{"join"}, tc.args...)...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("%s: exit %d, stderr %q; want %d and %q", tc.name, code, errOut, tc.code, tc.want)
		}
		if strings.Contains(out+errOut, secret) {
			t.Errorf("%s: the token was printed", tc.name)
		}
		if strings.Count(strings.TrimSpace(errOut), "\n") > 0 && tc.code == 1 {
			t.Errorf("%s: more than one line: %q", tc.name, errOut)
		}
	}
	if code, _, _ := runCmd(t, "join", "-h"); code != 0 {
		t.Errorf("join -h: exit %d", code)
	}
}

func TestJoinRefusedToken(t *testing.T) {
	f := newJoinFixture(t)
	const forged = "forged-participant-token"
	code, out, errOut := runCmd(t, "join", "--uri", f.conf.URI(), "--token", forged, "--no-media")
	if code != exitFailure || !strings.Contains(errOut, "refused the token") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if strings.Contains(out+errOut, forged) {
		t.Fatal("the token was printed")
	}

	// A conference that ended gives status 3 at once.
	if err := f.conf.End(); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = runCmd(t, "join", "--uri", f.conf.URI(), "--token", f.p.Token, "--no-media")
	if code == 0 || strings.Contains(errOut, f.p.Token) {
		t.Fatalf("ended conference: exit %d, stderr %q", code, errOut)
	}
}

func TestJoinPublishesAndRecords(t *testing.T) {
	ctx := testContext(t)
	f := newJoinFixture(t)
	dir := t.TempDir()
	samples := sampleDir()
	if samples == "" {
		t.Fatal("testdata/media not found")
	}

	// The recorder joins first and picks up the streams as they appear;
	// the publisher then sends two simulcast layers of VP8 and audio, and
	// a secondary video in H.264.
	recOut, recErr, recDone := startJoin(ctx, "--uri", f.conf.URI(), "--token", f.p.Token,
		"--record", dir, "--json", "--stats", "100ms")
	waitFor(ctx, t, recOut, `"event":"recording"`) // the conference stream
	pubOut, pubErr, pubDone := startJoin(ctx, "--uri", f.conf.URI(), "--token", f.other.Token,
		"--publish", filepath.Join(samples, "video-160x90.ivf"),
		"--publish", filepath.Join(samples, "video-320x180.ivf"),
		"--publish", filepath.Join(samples, "audio.ogg"),
		"--secondary", filepath.Join(samples, "video-640x360.h264"))
	waitFor(ctx, t, pubOut, "publishing")

	// Wait until the recorder's statistics show frames of both kinds of
	// the publisher's primary stream.
	waitForRecorded(ctx, t, recOut, "Other#primary", 2)
	waitForRecorded(ctx, t, recOut, "Other#secondary", 1)
	waitForRecorded(ctx, t, recOut, "conference", 2) // a speaker's primary stream

	// A participant that joins later finds the streams already there.
	late, err := f.conf.CreateParticipant(transport.CreateParticipantRequest{Name: "Late"})
	if err != nil {
		t.Fatal(err)
	}
	lateOut, lateErr, lateDone := startJoin(ctx, "--uri", f.conf.URI(), "--token", late.Token,
		"--record", t.TempDir(), "--json", "--stats", "100ms")
	waitForRecorded(ctx, t, lateOut, "Other#primary", 2)

	if err := f.conf.End(); err != nil {
		t.Fatal(err)
	}
	if code := waitExit(ctx, t, recDone, recErr); code != exitEnded {
		t.Fatalf("recorder exit %d; stderr %q", code, recErr.String())
	}
	if code := waitExit(ctx, t, pubDone, pubErr); code != exitEnded {
		t.Fatalf("publisher exit %d; stderr %q", code, pubErr.String())
	}
	if code := waitExit(ctx, t, lateDone, lateErr); code != exitEnded {
		t.Fatalf("late recorder exit %d; stderr %q", code, lateErr.String())
	}

	for name, mime := range map[string]string{
		"Other-primary-video.ivf":    "video/VP8",
		"Other-primary-audio.ogg":    "audio/opus",
		"Other-secondary-video.h264": "video/H264",
	} {
		info, err := media.Inspect(filepath.Join(dir, name))
		if err != nil || info.Frames == 0 || !strings.EqualFold(info.MimeType, mime) {
			t.Errorf("%s: %+v %v\n%s", name, info, err, recOut.String())
		}
	}
	// The secondary stream has no audio: no file for it.
	if _, err := os.Stat(filepath.Join(dir, "Other-secondary-audio.ogg")); !os.IsNotExist(err) {
		t.Errorf("secondary audio file: %v", err)
	}
	if !strings.Contains(recOut.String(), `"event":"file"`) {
		t.Errorf("no file record:\n%s", recOut.String())
	}
}

// waitForRecorded waits for a JSON stats record in which kinds kinds of
// stream have frames.
func waitForRecorded(ctx context.Context, t *testing.T, out *syncBuffer, stream string, kinds int) {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		for line := range strings.Lines(out.String()) {
			var r logRecord
			if json.Unmarshal([]byte(line), &r) != nil || r.Event != "stats" {
				continue
			}
			n := 0
			for _, s := range r.Streams {
				if s.Stream == stream && s.Frames > 0 {
					n++
				}
			}
			if n == kinds {
				return
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no frames of %s recorded:\n%s", stream, out.String())
		case <-tick.C:
		}
	}
}

func TestRecordingHelpers(t *testing.T) {
	for _, tc := range []struct {
		payload []byte
		mime    string
	}{
		{[]byte{0x90, 0x80}, "video/VP8"}, // descriptor with extension, start of partition
		{[]byte{0x10, 0x00}, "video/VP8"}, // no extension, start of partition 0
		{[]byte{0x00, 0x00}, "video/VP8"},
		{[]byte{0x67, 0x42}, "video/H264"}, // SPS
		{[]byte{0x65, 0x88}, "video/H264"}, // IDR slice
		{[]byte{0x7c, 0x85}, "video/H264"}, // FU-A
		{[]byte{0x78, 0x00}, "video/H264"}, // STAP-A
	} {
		if got, _ := guessVideoCodec(tc.payload); got != tc.mime {
			t.Errorf("%x: %s, want %s", tc.payload, got, tc.mime)
		}
	}

	used := map[string]bool{}
	a := fileStem("/r", "Zoë #1/..#primary", used)
	b := fileStem("/r", "Zoë #1/..#primary", used)
	if a != "/r/Zo__-1___-primary" || b != "/r/Zo__-1___-primary-2" {
		t.Fatalf("stems %q %q", a, b)
	}

	// A sink that never gets a packet writes no file; one that does
	// writes a file named after the codec.
	dir := t.TempDir()
	empty := newFileSink(filepath.Join(dir, "empty"), true)
	if err := empty.Close(); err != nil || empty.file() != "" {
		t.Fatalf("empty sink: %v %q", err, empty.file())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Fatalf("files %v", entries)
	}
	if err := empty.WriteRTP(&rtp.Packet{Payload: []byte{1}}); !errors.Is(err, media.ErrClosed) {
		t.Fatalf("write after close: %v", err)
	}
}

// A publisher whose connection drops goes offline and leaves the model,
// which ends the recording of its stream; once it is back, the recorder
// records its stream again into a new file.
func TestJoinRecordsAgainAfterAPublisherDrop(t *testing.T) {
	ctx := testContext(t)
	f := newJoinFixture(t)
	dir := t.TempDir()
	samples := sampleDir()
	if samples == "" {
		t.Fatal("testdata/media not found")
	}
	recOut, recErr, recDone := startJoin(ctx, "--uri", f.conf.URI(), "--token", f.p.Token,
		"--record", dir, "--json", "--stats", "100ms")
	waitFor(ctx, t, recOut, `"event":"recording"`)
	pubOut, pubErr, pubDone := startJoin(ctx, "--uri", f.conf.URI(), "--token", f.other.Token,
		"--publish", filepath.Join(samples, "video-160x90.ivf"))
	waitFor(ctx, t, pubOut, "publishing")
	waitForRecorded(ctx, t, recOut, "Other#primary", 1)

	f.conf.DropTransport(f.other.ID)
	second := filepath.Join(dir, "Other-primary-2-video.ivf")
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if _, err := os.Stat(second); err == nil {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no second recording of the publisher:\n%s", recOut.String())
		case <-tick.C:
		}
	}
	if !strings.Contains(recOut.String(), filepath.Join(dir, "Other-primary-2")+"-{audio,video}.*") {
		t.Errorf("the second recording is not announced with its file names:\n%s", recOut.String())
	}

	if err := f.conf.End(); err != nil {
		t.Fatal(err)
	}
	if code := waitExit(ctx, t, recDone, recErr); code != exitEnded {
		t.Fatalf("recorder exit %d; stderr %q", code, recErr.String())
	}
	if code := waitExit(ctx, t, pubDone, pubErr); code != exitEnded {
		t.Fatalf("publisher exit %d; stderr %q", code, pubErr.String())
	}
	for _, name := range []string{"Other-primary-video.ivf", "Other-primary-2-video.ivf"} {
		info, err := media.Inspect(filepath.Join(dir, name))
		if err != nil || info.Frames == 0 {
			t.Errorf("%s: %+v, %v", name, info, err)
		}
	}
}
