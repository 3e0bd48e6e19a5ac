package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mindsdk/mindgo/media"
)

func TestDemoPlaysAConference(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 40*time.Second)
	defer cancel()
	out := t.TempDir()
	var stdout, stderr syncBuffer
	code := run(ctx, []string{"demo", "--participants", "3", "--duration", "4s", "--out", out, "--json"},
		&stdout, &stderr)
	if code != 0 {
		t.Fatalf("demo exited %d\nstderr:\n%s\nstdout:\n%s", code, stderr.String(), stdout.String())
	}

	var sum *demoSummary
	kinds := map[string]int{}
	for line := range strings.Lines(stdout.String()) {
		var r struct {
			logRecord
			Fields struct {
				Summary *demoSummary `json:"summary"`
			} `json:"fields"`
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		kinds[r.Event]++
		if r.Fields.Summary != nil {
			sum = r.Fields.Summary
		}
	}
	if sum == nil || !sum.OK || len(sum.Problems) > 0 {
		t.Fatalf("summary %+v", sum)
	}
	if sum.Sessions != 3 || sum.SessionsClean != 3 || sum.MessagesExpected == 0 ||
		sum.MessagesDelivered != sum.MessagesExpected {
		t.Fatalf("summary %+v", sum)
	}
	for _, k := range []string{"conference_name_changed", "recording_started", "recording_stopped",
		"participant_role_changed", "me_expelled", "conference_ended", "message_from_participant",
		"message_from_application", "stats"} {
		if kinds[k] == 0 {
			t.Errorf("no %s record", k)
		}
	}

	if len(sum.Streams) == 0 || len(sum.Files) == 0 {
		t.Fatalf("no media in the summary: %+v", sum)
	}
	for _, s := range sum.Streams {
		if s.Frames == 0 {
			t.Errorf("stream %+v received no frames", s)
		}
	}
	for _, f := range sum.Files {
		if !strings.HasPrefix(f.Path, out) {
			t.Errorf("file %s outside %s", f.Path, out)
		}
		info, err := media.Inspect(f.Path)
		if err != nil || info.Frames == 0 {
			t.Errorf("%s: %+v %v", f.Path, info, err)
		}
	}
	// Every recorded stream has its file: 2 of the moderator, 5 of the
	// attendee.
	if len(sum.Files) != 7 || len(sum.Streams) != 7 {
		t.Errorf("%d files, %d streams; want 7 each", len(sum.Files), len(sum.Streams))
	}
}

func TestDemoBadCommandLines(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--participants", "2"}, "--participants must be between"},
		{[]string{"--participants", "100"}, "--participants must be between"},
		{[]string{"--duration", "1ms"}, "--duration must be between"},
		{[]string{"--duration", "later"}, "invalid value"},
		{[]string{"again"}, "unexpected argument"},
		{[]string{"--out", filepath.Join(os.DevNull, "x")}, "mind demo:"},
	} {
		code, _, errOut := runCmd(t, append([]string{"demo"}, tc.args...)...)
		if code == 0 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %q", tc.args, code, errOut, tc.want)
		}
	}
	if code, _, _ := runCmd(t, "demo", "-h"); code != 0 {
		t.Errorf("demo -h: exit %d", code)
	}
}

func TestDemoStreamsWithoutTestdata(t *testing.T) {
	t.Chdir(t.TempDir())
	primary, secondary, from, err := demoStreams()
	if err != nil || !strings.Contains(from, "embedded") {
		t.Fatalf("from %q: %v", from, err)
	}
	if primary.Audio == nil || len(primary.Video.Layers()) != 3 || secondary.Video == nil {
		t.Fatalf("streams %+v %+v", primary, secondary)
	}
	for _, s := range []*media.Stream{primary, secondary} {
		if err := s.Validate(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDemoHumanOutput(t *testing.T) {
	// The human view of a record and of a table.
	now := time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC)
	line := humanLine(logRecord{Time: now, Who: "Maya", Event: "participant_joined", Summary: "Sam (presenter)"})
	if line != "03:04:05.006  Maya     participant joined         Sam (presenter)\n" {
		t.Fatalf("line %q", line)
	}
	table := statsTable(now, "", []streamStats{
		{Stream: "Sam#primary", Kind: "video", Bitrate: 250000, Rate: 30, Width: 640, Height: 360, Frames: 90},
		{Stream: "conference", Kind: "audio", Bitrate: 32000, Level: 40, Frames: 150},
	})
	if got := truncate("Zoë Ångström-Łukasiewicz#secondary", 10); got != "Zoë Ångst…" {
		t.Errorf("truncate: %q", got)
	}
	for _, want := range []string{"Sam#primary", "640x360@30", "250.0", "level 40", "conference"} {
		if !strings.Contains(table, want) {
			t.Errorf("table without %q:\n%s", want, table)
		}
	}
}

func TestTableRedrawOnTerminal(t *testing.T) {
	var out syncBuffer
	l := newEventLog(&out, false)
	l.tty = true // as if out were a terminal
	rows := []streamStats{{Stream: "conference", Kind: "audio", Bitrate: 1000}}
	l.table("", rows)
	l.table("", rows)
	if n := strings.Count(out.String(), "\x1b["); n != 2 {
		t.Fatalf("%d escapes after two tables in a row:\n%q", n, out.String())
	}
	l.note("demo", "action", "something")
	before := out.String()
	l.table("", rows)
	if strings.Contains(strings.TrimPrefix(out.String(), before), "\x1b[") {
		t.Fatal("a table after a log line was drawn over it")
	}
}

func TestDemoFailsWhenInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var stdout, stderr syncBuffer
	code := run(ctx, []string{"demo", "--out", t.TempDir()}, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "mind demo:") {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "result: FAILED") {
		t.Fatalf("summary without the failure:\n%s", stdout.String())
	}
}

func TestDemoCheckReportsWhatIsMissing(t *testing.T) {
	d := &demo{cfg: demoConfig{participants: 3}, log: newEventLog(io.Discard, false), played: true}
	for _, name := range []string{"Maya", "Sam", "Ada"} {
		d.parts = append(d.parts, &demoPart{name: name, seen: map[string]int{}})
	}
	d.expelled = d.parts[2]
	d.media = newDemoMedia(d)
	d.expect(d.parts[1], "hello")
	d.parts[1].messages = []string{"something else"}

	res := demoResult{goroutinesBefore: 5, goroutinesAfter: 7}
	d.check(&res)
	all := strings.Join(res.problems, "\n")
	for _, want := range []string{
		"2 goroutine(s) left",
		`Sam did not receive "hello"`,
		"Maya did not see: conference_name_changed",
		"Ada did not see: conference_name_changed, recording_started, recording_stopped, me_expelled, me_role_changed",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("problems without %q:\n%s", want, all)
		}
	}
	if res.messagesExpected != 1 || res.messagesDelivered != 0 {
		t.Errorf("messages %d of %d", res.messagesDelivered, res.messagesExpected)
	}
}
