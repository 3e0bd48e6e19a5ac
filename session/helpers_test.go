package session_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mindsdk/mindgo/event"
	"github.com/mindsdk/mindgo/mindtest"
	"github.com/mindsdk/mindgo/session"
	"github.com/mindsdk/mindgo/transport"
)

// world is a mindtest server with one conference.
type world struct {
	srv  *mindtest.Server
	conf *mindtest.Conference
}

func newWorld(t *testing.T) *world {
	t.Helper()

	srv, err := mindtest.NewServer(nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	conf, err := srv.CreateConference("Planning", transport.LayoutMosaic)
	require.NoError(t, err)

	return &world{srv: srv, conf: conf}
}

func (w *world) participant(t *testing.T, name string, role transport.Role) transport.ParticipantWithToken {
	t.Helper()

	p, err := w.conf.CreateParticipant(transport.CreateParticipantRequest{Name: name, Role: role})
	require.NoError(t, err)

	return p
}

// fastRecovery makes reconnects immediate.
func fastRecovery(o *session.Options) *session.Options {
	return session.WithBackoff(o, func(int) time.Duration { return 0 })
}

// join joins as p with signalling-only defaults, and closes the session at
// the end of the test.
func (w *world) join(t *testing.T, p transport.ParticipantWithToken, o *session.Options) *session.Session {
	t.Helper()

	if o == nil {
		o = &session.Options{}
	}
	oo := *o
	oo.SignallingOnly = true
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()

	s, err := session.Join(ctx, w.conf.URI(), p.Token, fastRecovery(&oo))
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })

	return s
}

// testCtx is the bound of a blocking test.
func testCtx(t *testing.T) context.Context {
	t.Helper()

	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)

	return ctx
}

// nextEvent waits for the next event of ch.
func nextEvent(ctx context.Context, t *testing.T, ch <-chan event.Event) event.Event {
	t.Helper()

	select {
	case e, ok := <-ch:
		require.True(t, ok, "channel closed")
		return e
	case <-ctx.Done():
		t.Fatalf("no event: %v", context.Cause(ctx))
		return nil
	}
}

// waitFor reads events until one satisfies f and returns it.
func waitFor(ctx context.Context, t *testing.T, ch <-chan event.Event, f func(event.Event) bool) event.Event {
	t.Helper()

	for {
		if e := nextEvent(ctx, t, ch); f(e) {
			return e
		}
	}
}

// drain reads ch to its end and returns the events.
func drain(ctx context.Context, t *testing.T, ch <-chan event.Event) []event.Event {
	t.Helper()

	var out []event.Event
	for {
		select {
		case e, ok := <-ch:
			if !ok {
				return out
			}
			out = append(out, e)
		case <-ctx.Done():
			t.Fatalf("channel not closed: %v", context.Cause(ctx))
		}
	}
}

// describe renders an event compactly for comparing sequences.
func describe(e event.Event) string {
	switch e := e.(type) {
	case event.StateChanged:
		return fmt.Sprintf("state %s", e.State)
	case event.ConferenceNameChanged:
		return "conference name " + e.Conference.Name()
	case event.RecordingStarted:
		return "recording started"
	case event.RecordingStopped:
		return "recording stopped"
	case event.ConferenceEnded:
		return "conference ended"
	case event.ParticipantJoined:
		return "joined " + e.Participant.Name
	case event.ParticipantExited:
		return "exited " + e.Participant.Name
	case event.ParticipantNameChanged:
		return "name " + e.Participant.Name
	case event.ParticipantPriorityChanged:
		return fmt.Sprintf("priority %s %v", e.Participant.Name, e.Participant.Priority)
	case event.ParticipantLanguageChanged:
		return fmt.Sprintf("language %s %s", e.Participant.Name, e.Participant.Language)
	case event.ParticipantRoleChanged:
		return fmt.Sprintf("role %s %s", e.Participant.Name, e.Participant.Role)
	case event.ParticipantMediaChanged:
		return fmt.Sprintf("media %s %+v", e.Participant.Name, e.Participant.Media)
	case event.ParticipantSecondaryMediaChanged:
		return fmt.Sprintf("secondary media %s %+v", e.Participant.Name, e.Participant.SecondaryMedia)
	case event.MeExpelled:
		return "me expelled"
	case event.MeNameChanged:
		return "my name " + e.Me.Name
	case event.MePriorityChanged:
		return fmt.Sprintf("my priority %v", e.Me.Priority)
	case event.MeLanguageChanged:
		return fmt.Sprintf("my language %s", e.Me.Language)
	case event.MeRoleChanged:
		return fmt.Sprintf("my role %s", e.Me.Role)
	case event.MessageFromApplication:
		return "application says " + e.Text
	case event.MessageFromParticipant:
		from := "?"
		if e.Participant != nil {
			from = e.Participant.Name
		}
		return from + " says " + e.Text
	case event.Closed:
		return fmt.Sprintf("closed: %v", e.Reason)
	default:
		return fmt.Sprintf("%T", e)
	}
}

// listenerLog is an event.Listener that records what it sees.
type listenerLog struct {
	event.Base // for kinds a signalling-only session never produces

	mu  sync.Mutex
	got []string
	all chan event.Event
}

func newListenerLog() *listenerLog { return &listenerLog{all: make(chan event.Event, 4096)} }

func (l *listenerLog) add(e event.Event) {
	l.mu.Lock()
	l.got = append(l.got, describe(e))
	l.mu.Unlock()
	l.all <- e
}

func (l *listenerLog) OnStateChanged(e event.StateChanged)                   { l.add(e) }
func (l *listenerLog) OnConferenceNameChanged(e event.ConferenceNameChanged) { l.add(e) }
func (l *listenerLog) OnRecordingStarted(e event.RecordingStarted)           { l.add(e) }
func (l *listenerLog) OnRecordingStopped(e event.RecordingStopped)           { l.add(e) }
func (l *listenerLog) OnConferenceEnded(e event.ConferenceEnded)             { l.add(e) }
func (l *listenerLog) OnParticipantJoined(e event.ParticipantJoined)         { l.add(e) }
func (l *listenerLog) OnParticipantExited(e event.ParticipantExited)         { l.add(e) }
func (l *listenerLog) OnParticipantNameChanged(e event.ParticipantNameChanged) {
	l.add(e)
}
func (l *listenerLog) OnParticipantPriorityChanged(e event.ParticipantPriorityChanged) {
	l.add(e)
}
func (l *listenerLog) OnParticipantLanguageChanged(e event.ParticipantLanguageChanged) {
	l.add(e)
}
func (l *listenerLog) OnParticipantRoleChanged(e event.ParticipantRoleChanged) { l.add(e) }
func (l *listenerLog) OnParticipantMediaChanged(e event.ParticipantMediaChanged) {
	l.add(e)
}
func (l *listenerLog) OnParticipantSecondaryMediaChanged(e event.ParticipantSecondaryMediaChanged) {
	l.add(e)
}
func (l *listenerLog) OnMeExpelled(e event.MeExpelled)               { l.add(e) }
func (l *listenerLog) OnMeNameChanged(e event.MeNameChanged)         { l.add(e) }
func (l *listenerLog) OnMePriorityChanged(e event.MePriorityChanged) { l.add(e) }
func (l *listenerLog) OnMeLanguageChanged(e event.MeLanguageChanged) { l.add(e) }
func (l *listenerLog) OnMeRoleChanged(e event.MeRoleChanged)         { l.add(e) }
func (l *listenerLog) OnMessageFromApplication(e event.MessageFromApplication) {
	l.add(e)
}
func (l *listenerLog) OnMessageFromParticipant(e event.MessageFromParticipant) {
	l.add(e)
}
func (l *listenerLog) OnClosed(e event.Closed) { l.add(e) }
