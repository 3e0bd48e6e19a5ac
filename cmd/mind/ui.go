package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mindsdk/mindgo/conference"
	"github.com/mindsdk/mindgo/event"
)

// This file holds the output shared by "mind join" and "mind demo": an
// event log that prints either readable lines or one JSON object per line
// (NDJSON), and the statistics table.

// participantView is a participant as the log shows it.
type participantView struct {
	ID             string                `json:"id"`
	Name           string                `json:"name"`
	Role           string                `json:"role"`
	Language       string                `json:"language,omitempty"`
	Priority       float64               `json:"priority"`
	Media          conference.MediaFlags `json:"media"`
	SecondaryMedia conference.MediaFlags `json:"secondaryMedia"`
}

// conferenceView is a conference as the log shows it.
type conferenceView struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Recording    bool   `json:"recording"`
	Participants int    `json:"participants"`
}

// streamStats is one row of the statistics table.
type streamStats struct {
	// Who is the participant that sends or receives the stream, when the
	// table covers several (the demo).
	Who string `json:"who,omitempty"`
	// Stream names the stream: "conference", "<name>#primary", ...
	Stream string `json:"stream"`
	// Kind is "audio" or "video".
	Kind string `json:"kind"`
	// Sent marks a stream the local participant publishes; Frames and
	// Bytes are not counted for those.
	Sent bool `json:"sent,omitempty"`
	// Bitrate in bits per second.
	Bitrate int `json:"bitrate"`
	// Losses in percent.
	Losses int `json:"losses"`
	// RTT in milliseconds.
	RTT int `json:"rtt"`
	// Rate is frames per second for video, samples per second for audio.
	Rate int `json:"rate"`
	// Level is the audio level (0 to 100); zero for video.
	Level int `json:"level,omitempty"`
	// Width and Height of received video.
	Width  int `json:"width,omitempty"`
	Height int `json:"height,omitempty"`
	// Frames and Bytes received so far.
	Frames uint64 `json:"frames"`
	Bytes  uint64 `json:"bytes"`
}

// logRecord is one entry of the event log. Event is a snake_case kind;
// Summary is what the human view prints after it.
type logRecord struct {
	Time        time.Time        `json:"time"`
	Who         string           `json:"who,omitempty"`
	Event       string           `json:"event"`
	Summary     string           `json:"summary,omitempty"`
	Participant *participantView `json:"participant,omitempty"`
	Conference  *conferenceView  `json:"conference,omitempty"`
	Text        string           `json:"text,omitempty"`
	From        string           `json:"from,omitempty"`
	State       string           `json:"state,omitempty"`
	Reason      string           `json:"reason,omitempty"`
	Streams     []streamStats    `json:"streams,omitempty"`
	Fields      map[string]any   `json:"fields,omitempty"`
}

// eventLog writes log records to one writer, from any goroutine. It also
// counts the records by kind for the summaries.
type eventLog struct {
	mu     sync.Mutex
	w      io.Writer
	json   bool
	now    func() time.Time
	counts map[string]int
	// sessionCounts counts the session events only.
	sessionCounts map[string]int
	err           error

	// tty enables redrawing the statistics table in place when nothing
	// was printed since the previous one.
	tty bool
	// tableLines is the height of the last table printed, 0 once anything
	// else was printed after it.
	tableLines int
}

// isTerminal reports whether w is a character device such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func newEventLog(w io.Writer, asJSON bool) *eventLog {
	return &eventLog{w: w, json: asJSON, now: time.Now, counts: make(map[string]int),
		sessionCounts: make(map[string]int), tty: !asJSON && isTerminal(w)}
}

// emit stamps r (when it has no time) and writes it.
func (l *eventLog) emit(r logRecord) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if r.Time.IsZero() {
		r.Time = l.now()
	}
	l.counts[r.Event]++
	l.tableLines = 0
	var err error
	if l.json {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err = enc.Encode(r); err == nil {
			_, err = l.w.Write(b.Bytes())
		}
	} else {
		_, err = io.WriteString(l.w, humanLine(r))
	}
	if err != nil && l.err == nil {
		l.err = err
	}
}

// note logs a line of the command itself (not a session event).
func (l *eventLog) note(who, kind, format string, args ...any) {
	l.emit(logRecord{Who: who, Event: kind, Summary: fmt.Sprintf(format, args...)})
}

// event logs a session event seen by who.
func (l *eventLog) event(who string, ev event.Event) {
	r := describeEvent(ev)
	r.Who = who
	l.mu.Lock()
	l.sessionCounts[r.Event]++
	l.mu.Unlock()
	l.emit(r)
}

// count counts a session event that is not printed.
func (l *eventLog) count(kind string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sessionCounts[kind]++
}

// table prints a statistics table: a block of lines in the human view, one
// "stats" record in JSON.
func (l *eventLog) table(who string, rows []streamStats) {
	if l.json {
		l.emit(logRecord{Who: who, Event: "stats", Streams: rows})
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.counts["stats"]++
	text := statsTable(l.now(), who, rows)
	if l.tty && l.tableLines > 0 {
		// Nothing came in between: overwrite the previous table.
		text = fmt.Sprintf("\x1b[%dA\x1b[J", l.tableLines) + text
	}
	l.tableLines = strings.Count(text, "\n")
	_, err := io.WriteString(l.w, text)
	if err != nil && l.err == nil {
		l.err = err
	}
}

// writeRaw writes text as is in the human view; JSON mode ignores it.
func (l *eventLog) writeRaw(text string) {
	if l.json {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tableLines = 0
	if _, err := io.WriteString(l.w, text); err != nil && l.err == nil {
		l.err = err
	}
}

// eventCounts returns how many session events of each kind were logged.
func (l *eventLog) eventCounts() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return maps.Clone(l.sessionCounts)
}

// writeErr returns the first error of the writer, if any.
func (l *eventLog) writeErr() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// humanLine formats a record as one readable line.
func humanLine(r logRecord) string {
	var b strings.Builder
	b.WriteString(r.Time.Format("15:04:05.000"))
	b.WriteString("  ")
	if r.Who != "" {
		fmt.Fprintf(&b, "%-8s ", r.Who)
	}
	kind := strings.ReplaceAll(r.Event, "_", " ")
	if r.Summary != "" {
		fmt.Fprintf(&b, "%-26s %s", kind, r.Summary)
	} else {
		b.WriteString(kind)
	}
	b.WriteString("\n")
	return b.String()
}

// statsTable formats rows as an aligned table under a header line.
func statsTable(now time.Time, who string, rows []streamStats) string {
	var b strings.Builder
	title := "statistics"
	if who != "" {
		title = who + " statistics"
	}
	fmt.Fprintf(&b, "%s  ---- %s ----\n", now.Format("15:04:05.000"), title)
	if len(rows) == 0 {
		b.WriteString("              (no media streams)\n")
		return b.String()
	}
	fmt.Fprintf(&b, "              %-28s %-5s %10s %6s %6s %12s %8s %10s\n",
		"stream", "kind", "kbit/s", "loss%", "rtt", "fps/level", "frames", "bytes")
	for _, s := range rows {
		var rate string
		if s.Kind == "video" {
			rate = fmt.Sprintf("%d fps", s.Rate)
			if s.Width > 0 {
				rate = fmt.Sprintf("%dx%d@%d", s.Width, s.Height, s.Rate)
			}
		} else {
			rate = fmt.Sprintf("level %d", s.Level)
		}
		frames, size := fmt.Sprint(s.Frames), fmt.Sprint(s.Bytes)
		if s.Sent {
			frames, size = "-", "-"
		}
		name := s.Stream
		switch {
		case s.Who != "" && s.Sent:
			name = s.Who + " sends " + s.Stream
		case s.Who != "":
			name = s.Who + " <- " + s.Stream
		}
		fmt.Fprintf(&b, "              %-28s %-5s %10.1f %6d %6d %12s %8s %10s\n",
			truncate(name, 28), s.Kind, float64(s.Bitrate)/1000, s.Losses, s.RTT, rate, frames, size)
	}
	return b.String()
}

// truncate shortens s to n runes, marking the cut with an ellipsis.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func viewOf(p conference.Participant) *participantView {
	return &participantView{
		ID: p.ID, Name: p.Name, Role: p.Role.String(), Language: p.Language.String(), Priority: p.Priority,
		Media: p.Media, SecondaryMedia: p.SecondaryMedia,
	}
}

func viewOfMe(m conference.Me) *participantView {
	return &participantView{
		ID: m.ID, Name: m.Name, Role: m.Role.String(), Language: m.Language.String(), Priority: m.Priority,
	}
}

func confView(c *conference.Conference) *conferenceView {
	if c == nil {
		return nil
	}
	return &conferenceView{ID: c.ID(), Name: c.Name(), Recording: c.Recording(), Participants: c.Len()}
}

// mediaText describes media flags: "audio+video", "audio", "video" or
// "none".
func mediaText(f conference.MediaFlags) string {
	switch {
	case f.Audio && f.Video:
		return "audio+video"
	case f.Audio:
		return "audio"
	case f.Video:
		return "video"
	}
	return "none"
}

// describeEvent turns a session event into a log record (without time and
// who).
func describeEvent(ev event.Event) logRecord {
	switch e := ev.(type) {
	case event.StateChanged:
		return logRecord{Event: "state_changed", State: e.State.String(),
			Summary: fmt.Sprintf("%s -> %s", e.Previous, e.State)}
	case event.ConferenceNameChanged:
		return logRecord{Event: "conference_name_changed", Conference: confView(e.Conference),
			Summary: fmt.Sprintf("%q", e.Conference.Name())}
	case event.RecordingStarted:
		return logRecord{Event: "recording_started", Conference: confView(e.Conference)}
	case event.RecordingStopped:
		return logRecord{Event: "recording_stopped", Conference: confView(e.Conference)}
	case event.ConferenceEnded:
		return logRecord{Event: "conference_ended", Conference: confView(e.Conference)}
	case event.ParticipantJoined:
		return participantRecord("participant_joined", e.Participant, "")
	case event.ParticipantExited:
		return participantRecord("participant_exited", e.Participant, "")
	case event.ParticipantNameChanged:
		return participantRecord("participant_name_changed", e.Participant, "")
	case event.ParticipantPriorityChanged:
		return participantRecord("participant_priority_changed", e.Participant,
			fmt.Sprintf("priority %g", e.Participant.Priority))
	case event.ParticipantLanguageChanged:
		return participantRecord("participant_language_changed", e.Participant,
			"language "+e.Participant.Language.String())
	case event.ParticipantRoleChanged:
		return participantRecord("participant_role_changed", e.Participant, "now "+e.Participant.Role.String())
	case event.ParticipantMediaChanged:
		return participantRecord("participant_media_changed", e.Participant,
			"primary "+mediaText(e.Participant.Media))
	case event.ParticipantSecondaryMediaChanged:
		return participantRecord("participant_secondary_media_changed", e.Participant,
			"secondary "+mediaText(e.Participant.SecondaryMedia))
	case event.MeExpelled:
		return meRecord("me_expelled", e.Me, "")
	case event.MeNameChanged:
		return meRecord("me_name_changed", e.Me, fmt.Sprintf("%q", e.Me.Name))
	case event.MePriorityChanged:
		return meRecord("me_priority_changed", e.Me, fmt.Sprintf("priority %g", e.Me.Priority))
	case event.MeLanguageChanged:
		return meRecord("me_language_changed", e.Me, "language "+e.Me.Language.String())
	case event.MeRoleChanged:
		return meRecord("me_role_changed", e.Me, "now "+e.Me.Role.String())
	case event.MessageFromApplication:
		return logRecord{Event: "message_from_application", Text: e.Text, From: "application",
			Summary: fmt.Sprintf("%q", e.Text)}
	case event.MessageFromParticipant:
		from := e.SenderID
		if e.Participant != nil {
			from = e.Participant.Name
		} else if e.SenderID == e.Me.ID {
			from = e.Me.Name + " (echo)"
		}
		return logRecord{Event: "message_from_participant", Text: e.Text, From: e.SenderID,
			Summary: fmt.Sprintf("from %s: %q", from, e.Text)}
	case event.StatisticsUpdated:
		return logRecord{Event: "statistics_updated", Summary: fmt.Sprintf("%d stream(s)", len(e.Streams))}
	case event.Closed:
		reason := "closed"
		if e.Reason != nil {
			reason = e.Reason.Error()
		}
		return logRecord{Event: "closed", Reason: reason, Summary: reason}
	}
	return logRecord{Event: "other", Summary: fmt.Sprintf("%T", ev)}
}

func participantRecord(kind string, p conference.Participant, extra string) logRecord {
	s := fmt.Sprintf("%s (%s)", displayName(p.Name, p.ID), p.Role)
	if extra != "" {
		s += " " + extra
	}
	return logRecord{Event: kind, Participant: viewOf(p), Summary: s}
}

func meRecord(kind string, m conference.Me, extra string) logRecord {
	s := fmt.Sprintf("%s (%s)", displayName(m.Name, m.ID), m.Role)
	if extra != "" {
		s += " " + extra
	}
	return logRecord{Event: kind, Participant: viewOfMe(m), Summary: s}
}

func displayName(name, id string) string {
	if name != "" {
		return name
	}
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// sortedCounts formats counts as "kind=n" pairs in name order.
func sortedCounts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
	}
	return strings.Join(parts, " ")
}
