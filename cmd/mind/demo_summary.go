package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// demoSummary is the last record of "mind demo --json".
type demoSummary struct {
	OK                bool           `json:"ok"`
	Duration          time.Duration  `json:"-"`
	Millis            int64          `json:"durationMs"`
	Out               string         `json:"out"`
	Streams           []streamResult `json:"streams"`
	Files             []fileResult   `json:"files"`
	Events            map[string]int `json:"events"`
	MessagesDelivered int            `json:"messagesDelivered"`
	MessagesExpected  int            `json:"messagesExpected"`
	SessionsClean     int            `json:"sessionsClosedCleanly"`
	Sessions          int            `json:"sessions"`
	GoroutinesBefore  int            `json:"goroutinesBefore"`
	GoroutinesAfter   int            `json:"goroutinesAfter"`
	Problems          []string       `json:"problems,omitempty"`
}

// printSummary prints what the demo received, wrote and saw.
func (d *demo) printSummary(res demoResult) {
	sum := demoSummary{
		OK: len(res.problems) == 0, Duration: res.ended.Sub(res.started), Out: d.cfg.out,
		Millis:  res.ended.Sub(res.started).Milliseconds(),
		Streams: res.streams, Files: res.files, Events: d.log.eventCounts(),
		MessagesDelivered: res.messagesDelivered, MessagesExpected: res.messagesExpected,
		SessionsClean: res.sessionsClosedClean, Sessions: len(d.parts),
		GoroutinesBefore: res.goroutinesBefore, GoroutinesAfter: res.goroutinesAfter,
		Problems: res.problems,
	}
	if d.cfg.json {
		d.log.emit(logRecord{Who: "demo", Event: "summary", Fields: map[string]any{"summary": sum}})
		return
	}

	var b strings.Builder
	b.WriteString("\n==== summary ====\n")
	fmt.Fprintf(&b, "ran for %s with %d participants\n", sum.Duration.Round(10*time.Millisecond), len(d.parts))
	b.WriteString("\nreceived streams:\n")
	if len(sum.Streams) == 0 {
		b.WriteString("  (none)\n")
	}
	for _, s := range sum.Streams {
		fmt.Fprintf(&b, "  %-8s %-28s %-5s %7d frames %10d bytes\n", s.Who, s.Stream, s.Kind, s.Frames, s.Bytes)
	}
	fmt.Fprintf(&b, "\nfiles in %s:\n", d.cfg.out)
	if len(sum.Files) == 0 {
		b.WriteString("  (none)\n")
	}
	for _, f := range sum.Files {
		name := f.Path
		if rel, err := filepath.Rel(d.cfg.out, f.Path); err == nil {
			name = rel
		}
		if f.Error != "" {
			fmt.Fprintf(&b, "  %-34s INVALID: %s\n", name, f.Error)
			continue
		}
		fmt.Fprintf(&b, "  %-34s %-10s %5d frames %8s\n", name, f.MimeType, f.Frames,
			f.Duration.Round(10*time.Millisecond))
	}
	fmt.Fprintf(&b, "\nevents: %s\n", sortedCounts(sum.Events))
	fmt.Fprintf(&b, "messages delivered: %d of %d\n", sum.MessagesDelivered, sum.MessagesExpected)
	fmt.Fprintf(&b, "sessions closed cleanly: %d of %d\n", sum.SessionsClean, sum.Sessions)
	fmt.Fprintf(&b, "goroutines: %d before, %d after\n", sum.GoroutinesBefore, sum.GoroutinesAfter)
	if sum.OK {
		b.WriteString("result: OK\n")
	} else {
		fmt.Fprintf(&b, "result: FAILED (%d problem(s))\n", len(sum.Problems))
		for _, p := range sum.Problems {
			fmt.Fprintf(&b, "  - %s\n", p)
		}
	}
	d.log.writeRaw(b.String())
}
