package session

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindsdk/mindgo/event"
	"github.com/mindsdk/mindgo/transport"
)

// scripted is a server whose answers to changes the test writes by hand,
// at the moment it chooses; notifications go through fake carriers.
type scripted struct {
	srv      *httptest.Server
	requests atomic.Int32
	carriers chan *fakeCarrier

	mu   sync.Mutex
	snap transport.Conference
	gate chan struct{} // when not nil, snapshot reads wait for it

	// changes receives every change request; the test answers it.
	changes chan *change
}

// change is one change request waiting for the test's answer.
type change struct {
	r      *http.Request
	body   []byte
	answer chan answer
}

type answer struct {
	code int
	body string
}

func (c *change) reply(code int, body string) { c.answer <- answer{code, body} }

func newScripted(t *testing.T) *scripted {
	t.Helper()

	f := &scripted{
		carriers: make(chan *fakeCarrier, 16),
		changes:  make(chan *change, 16),
		snap: transport.Conference{
			ID: fakeConf, Name: "Conf", Layout: transport.LayoutMosaic,
			Participants: []transport.Participant{
				{ID: fakeMe, Name: "Me", Priority: 1, Language: "en", Role: transport.RoleModerator, Online: true},
				{ID: fakeBob, Name: "Bob", Priority: 1, Language: "en", Role: transport.RoleSpeaker, Online: true},
			},
		},
	}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.requests.Add(1)
		if r.Method == http.MethodGet {
			f.mu.Lock()
			gate := f.gate
			f.mu.Unlock()
			if gate != nil {
				select {
				case <-gate:
				case <-r.Context().Done():
					return
				}
			}
			f.mu.Lock()
			b, _ := transport.Marshal(f.snap)
			f.mu.Unlock()
			_, _ = w.Write(b)
			return
		}
		body, _ := io.ReadAll(r.Body)
		c := &change{r: r, body: body, answer: make(chan answer, 1)}
		f.changes <- c
		select {
		case a := <-c.answer:
			w.WriteHeader(a.code)
			_, _ = io.WriteString(w, a.body)
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(f.srv.Close)

	return f
}

func (f *scripted) options(o *Options) *Options {
	var oo Options
	if o != nil {
		oo = *o
	}
	oo.SignallingOnly = true
	oo.HTTPClient = f.srv.Client()
	oo.backoff = func(int) time.Duration { return 0 }
	if oo.holdTimeout == 0 {
		// Longer than any test waits: a write must never rely on it here.
		oo.holdTimeout = time.Minute
	}
	oo.dial = func(_ context.Context, _ *Session, deliver func(note)) (carrier, error) {
		c := &fakeCarrier{deliver: deliver}
		f.carriers <- c
		return c, nil
	}
	return &oo
}

func (f *scripted) uri() string { return f.srv.URL + "/" + fakeApp + "/" + fakeConf }

func (f *scripted) join(t *testing.T, o *Options) (*Session, *fakeCarrier) {
	t.Helper()

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	s, err := Join(ctx, f.uri(), "token", f.options(o))
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })

	return s, f.carrier(t)
}

func (f *scripted) carrier(t *testing.T) *fakeCarrier {
	t.Helper()

	select {
	case c := <-f.carriers:
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("no carrier dialled")
		return nil
	}
}

func (f *scripted) change(t *testing.T) *change {
	t.Helper()

	select {
	case c := <-f.changes:
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("no change request")
		return nil
	}
}

func (f *scripted) setSnapshot(update func(*transport.Conference)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	update(&f.snap)
}

func me(name string) transport.Participant {
	return transport.Participant{ID: fakeMe, Name: name, Priority: 1, Language: "en",
		Role: transport.RoleModerator, Online: true}
}

func bob(name string) transport.Participant {
	return transport.Participant{ID: fakeBob, Name: name, Priority: 1, Language: "en",
		Role: transport.RoleSpeaker, Online: true}
}

func marshal(t *testing.T, v any) string {
	t.Helper()

	b, err := transport.Marshal(v)
	require.NoError(t, err)

	return string(b)
}

// asyncWrite runs a write on its own goroutine.
func asyncWrite(t *testing.T, f func(context.Context) error) <-chan error {
	t.Helper()

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	done := make(chan error, 1)
	go func() {
		defer cancel()
		done <- f(ctx)
	}()

	return done
}

func result(t *testing.T, done <-chan error) error {
	t.Helper()

	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("the write did not return")
		return nil
	}
}

func names(evs []event.Event) []string {
	out := make([]string, 0, len(evs))
	for _, e := range evs {
		switch e := e.(type) {
		case event.MeNameChanged:
			out = append(out, "me "+e.Me.Name)
		case event.ParticipantNameChanged:
			out = append(out, "name "+e.Participant.Name)
		case event.ParticipantJoined:
			out = append(out, "joined "+e.Participant.Name)
		case event.ConferenceNameChanged:
			out = append(out, "conference "+e.Conference.Name())
		case event.RecordingStarted:
			out = append(out, "recording started")
		case event.RecordingStopped:
			out = append(out, "recording stopped")
		case event.StateChanged:
			out = append(out, "state "+e.State.String())
		case event.MessageFromApplication:
			out = append(out, "says "+e.Text)
		case event.Closed:
			out = append(out, "closed")
		default:
			out = append(out, fmt.Sprintf("%T", e))
		}
	}

	return out
}

// closeAndDrain closes s and returns what ch had left.
func closeAndDrain(t *testing.T, s *Session, ch <-chan event.Event) []string {
	t.Helper()

	require.NoError(t, s.Close())
	var evs []event.Event
	for e := range ch {
		evs = append(evs, e)
	}

	return names(evs)
}

// TestWriteOfTheCurrentValueOvertakenByANewerChange: the server has
// nothing to change (and sends no notification), a newer change is
// notified before the answer comes. The write returns at once and the
// newer value stays.
func TestWriteOfTheCurrentValueOvertakenByANewerChange(t *testing.T) {
	t.Parallel()

	f := newScripted(t)
	s, c := f.join(t, nil)
	ch, _ := s.Subscribe()

	done := asyncWrite(t, func(ctx context.Context) error { return s.SetMyName(ctx, "Me") })
	req := f.change(t)
	c.notify(participantNote(t, transport.Updated, me("App")))
	assert.Equal(t, []string{"me App"}, names([]event.Event{next(t, ch)}))
	req.reply(http.StatusOK, marshal(t, me("Me")))
	require.NoError(t, result(t, done))
	assert.Equal(t, "App", s.Conference().Me().Name)

	done = asyncWrite(t, func(ctx context.Context) error { return s.SetConferenceName(ctx, "Conf") })
	req = f.change(t)
	c.notify(transport.Notification{Type: transport.Updated, Location: "/",
		Resource: []byte(`{"id":"` + fakeConf + `","name":"Other","recording":{"started":true}}`)})
	req.reply(http.StatusOK, `{"id":"`+fakeConf+`","name":"Conf","recording":{"started":false}}`)
	require.NoError(t, result(t, done))
	assert.Equal(t, "Other", s.Conference().Name())

	c.notify(transport.Notification{Type: transport.Updated, Location: "/",
		Resource: []byte(`{"id":"` + fakeConf + `","name":"Other","recording":{"started":false}}`)})
	done = asyncWrite(t, s.StopRecording)
	req = f.change(t)
	c.notify(transport.Notification{Type: transport.Updated, Location: "/",
		Resource: []byte(`{"id":"` + fakeConf + `","name":"Other","recording":{"started":true}}`)})
	req.reply(http.StatusNoContent, "")
	require.NoError(t, result(t, done))
	assert.True(t, s.Conference().Recording())

	assert.Equal(t, []string{"conference Other", "recording started", "recording stopped", "recording started",
		"closed"}, closeAndDrain(t, s, ch))
}

// TestWriteThatTheServerAppliedWhileAway: the change is made while the
// channel is down, so its notification is lost; the reload brings the
// value, a newer change follows, then the answer. The write returns at
// once, the newer value stays and each change fires once.
func TestWriteThatTheServerAppliedWhileAway(t *testing.T) {
	t.Parallel()

	f := newScripted(t)
	s, c1 := f.join(t, nil)
	ch, _ := s.Subscribe()

	done := asyncWrite(t, func(ctx context.Context) error { return s.SetMyName(ctx, "Mine") })
	req := f.change(t)
	f.setSnapshot(func(c *transport.Conference) { c.Participants[0].Name = "Mine" })
	c1.deliver(note{kind: noteFailed, err: errors.New("lost")})
	c2 := f.carrier(t)
	assert.Equal(t, []string{"state failed", "me Mine", "state normal"},
		names([]event.Event{next(t, ch), next(t, ch), next(t, ch)}))
	c2.notify(participantNote(t, transport.Updated, me("App")))
	assert.Equal(t, []string{"me App"}, names([]event.Event{next(t, ch)}))

	req.reply(http.StatusOK, marshal(t, me("Mine")))
	require.NoError(t, result(t, done))
	assert.Equal(t, "App", s.Conference().Me().Name)
	assert.Equal(t, []string{"closed"}, closeAndDrain(t, s, ch))
}

// TestWriteWaitsForItsValueAndTheReloadReplaysInOrder: the answer comes
// while the session reloads; the notifications held back during the
// reload are newer than the model and are replayed over it without going
// through the snapshot first, so no value comes back and none fires twice.
func TestWriteWaitsForItsValueAndTheReloadReplaysInOrder(t *testing.T) {
	t.Parallel()

	f := newScripted(t)
	s, c1 := f.join(t, nil)
	ch, _ := s.Subscribe()

	gate := make(chan struct{})
	f.mu.Lock()
	f.gate = gate
	f.mu.Unlock()
	c1.deliver(note{kind: noteFailed, err: errors.New("lost")})
	c2 := f.carrier(t)
	assert.Equal(t, []string{"state failed"}, names([]event.Event{next(t, ch)}))

	done := asyncWrite(t, func(ctx context.Context) error { return s.SetMyName(ctx, "Mine") })
	req := f.change(t)
	c2.notify(participantNote(t, transport.Updated, me("App")))
	c2.notify(participantNote(t, transport.Updated, me("Mine")))
	// Carol joins and is renamed while the session is away.
	carol := transport.Participant{ID: "a1b2c3d4-0000-4000-8000-000000000003", Name: "Carol", Priority: 1,
		Language: "en", Role: transport.RoleAttendee, Online: true}
	c2.notify(participantNote(t, transport.Updated, carol))
	carol.Name = "Carol2"
	c2.notify(participantNote(t, transport.Updated, carol))
	req.reply(http.StatusOK, marshal(t, me("Mine")))
	select {
	case err := <-done:
		t.Fatalf("returned before the model had its value: %v", err)
	case <-time.After(50 * time.Millisecond):
	}

	f.setSnapshot(func(c *transport.Conference) {
		c.Participants[0].Name = "Mine"
		c.Participants = append(c.Participants, carol)
	})
	close(gate)
	require.NoError(t, result(t, done))
	assert.Equal(t, "Mine", s.Conference().Me().Name)
	assert.Equal(t, []string{"me App", "me Mine", "joined Carol2", "state normal", "closed"},
		closeAndDrain(t, s, ch))
}

// flatListener records every event of the kinds these tests look at.
type flatListener struct {
	event.Base
	ch chan event.Event
}

func (l *flatListener) OnParticipantJoined(e event.ParticipantJoined)           { l.ch <- e }
func (l *flatListener) OnParticipantNameChanged(e event.ParticipantNameChanged) { l.ch <- e }
func (l *flatListener) OnMeNameChanged(e event.MeNameChanged)                   { l.ch <- e }
func (l *flatListener) OnMessageFromApplication(e event.MessageFromApplication) { l.ch <- e }

// TestJoinQueueIsNotReplayedOverANewerSnapshot: notifications queued while
// Join reads the snapshot are older than it or equal to it; they must not
// take values back (§3.5).
func TestJoinQueueIsNotReplayedOverANewerSnapshot(t *testing.T) {
	t.Parallel()

	f := newScripted(t)
	f.gate = make(chan struct{})
	l := &flatListener{ch: make(chan event.Event, 16)}
	joined := make(chan *Session, 1)
	go func() {
		s, err := Join(t.Context(), f.uri(), "token", f.options(&Options{Listener: l}))
		if err != nil {
			s = nil
		}
		joined <- s
	}()
	c := f.carrier(t)
	c.notify(participantNote(t, transport.Updated, bob("Bob1")))
	c.notify(transport.Notification{Type: transport.Created, Location: "/messages/m1",
		Resource: []byte(`{"sentBy":"` + fakeApp + `","text":"hello"}`)})
	c.notify(participantNote(t, transport.Updated, bob("Bob2")))
	f.setSnapshot(func(c *transport.Conference) { c.Participants[1].Name = "Bob2" })
	close(f.gate)
	s := <-joined
	require.NotNil(t, s)
	t.Cleanup(func() { _ = s.Close() })

	assert.Equal(t, []string{"says hello"}, names([]event.Event{next(t, l.ch)}))
	c.notify(participantNote(t, transport.Updated, bob("Bob3")))
	assert.Equal(t, []string{"name Bob3"}, names([]event.Event{next(t, l.ch)}))
	require.NoError(t, s.Close())
}

// TestWriteOfANormalisedValue: the server stores what JSON made of the
// value (invalid UTF-8 becomes U+FFFD); the write completes with the
// notification of that value.
func TestWriteOfANormalisedValue(t *testing.T) {
	t.Parallel()

	f := newScripted(t)
	s, c := f.join(t, nil)
	ch, _ := s.Subscribe()

	done := asyncWrite(t, func(ctx context.Context) error { return s.SetName(ctx, fakeBob, "bad\xffname") })
	req := f.change(t)
	req.reply(http.StatusOK, marshal(t, bob("bad\xffname")))
	c.notify(participantNote(t, transport.Updated, bob("bad\xffname")))
	require.NoError(t, result(t, done))
	p, _ := s.Conference().Participant(fakeBob)
	assert.Equal(t, "bad\uFFFDname", p.Name)
	assert.Equal(t, []string{"name bad\uFFFDname", "closed"}, closeAndDrain(t, s, ch))
}

// TestWriteWithAnAnswerThatIsNotTheResource: a 2xx answer without the
// resource is a decode error and nothing is applied (Q16).
func TestWriteWithAnAnswerThatIsNotTheResource(t *testing.T) {
	t.Parallel()

	f := newScripted(t)
	s, _ := f.join(t, nil)
	ch, _ := s.Subscribe()

	for _, a := range []answer{{http.StatusOK, `{"error":"injected"}`}, {http.StatusNoContent, ""}} {
		done := asyncWrite(t, func(ctx context.Context) error { return s.SetMyName(ctx, "New") })
		f.change(t).reply(a.code, a.body)
		require.ErrorIs(t, result(t, done), transport.ErrMalformedMessage)

		done = asyncWrite(t, func(ctx context.Context) error { return s.SetConferenceName(ctx, "New") })
		f.change(t).reply(a.code, a.body)
		require.ErrorIs(t, result(t, done), transport.ErrMalformedMessage)
	}
	assert.Equal(t, "Me", s.Conference().Me().Name)
	assert.Equal(t, "Conf", s.Conference().Name())
	assert.Equal(t, []string{"closed"}, closeAndDrain(t, s, ch))
}

// TestWriteWaitingWhenTheSessionEnds: the server took the change but the
// model never showed it; the write reports the end of the session.
func TestWriteWaitingWhenTheSessionEnds(t *testing.T) {
	t.Parallel()

	f := newScripted(t)
	s, c := f.join(t, nil)

	done := asyncWrite(t, func(ctx context.Context) error { return s.SetName(ctx, fakeBob, "Robert") })
	f.change(t).reply(http.StatusOK, marshal(t, bob("Robert")))
	c.deliver(note{kind: noteMessage, msg: transport.ChannelMessage{CloseCode: transport.CloseConferenceEnded}})
	err := result(t, done)
	require.ErrorIs(t, err, ErrClosed)
	require.ErrorIs(t, err, ErrConferenceEnded)
	p, _ := s.Conference().Participant(fakeBob)
	assert.Equal(t, "Bob", p.Name)
}

// TestCreationOfAKnownIDAndMisplacedResources: a creation of Me changes
// nothing (§3.3), and a resource whose id is not the one of its location
// is skipped.
func TestCreationOfAKnownIDAndMisplacedResources(t *testing.T) {
	t.Parallel()

	f := newScripted(t)
	s, c := f.join(t, nil)
	ch, _ := s.Subscribe()

	c.notify(participantNote(t, transport.Created, me("Evil")))
	n := participantNote(t, transport.Updated, bob("Evil"))
	n.Location = transport.ParticipantLocation("a1b2c3d4-0000-4000-8000-000000000055")
	c.notify(n)
	c.notify(transport.Notification{Type: transport.Updated, Location: "/",
		Resource: []byte(`{"id":"` + fakeConf + `","name":"marker"}`)})

	assert.Equal(t, []string{"conference marker"}, names([]event.Event{next(t, ch)}))
	assert.Equal(t, "Me", s.Conference().Me().Name)
	p, _ := s.Conference().Participant(fakeBob)
	assert.Equal(t, "Bob", p.Name)
	assert.Equal(t, 1, s.Conference().Len())
}

// TestJoinRefusesATokenAHeaderCannotCarry: no request is made and the
// error does not repeat the token.
func TestJoinRefusesATokenAHeaderCannotCarry(t *testing.T) {
	t.Parallel()

	f := newScripted(t)
	for _, tok := range []string{"SECRET\r\nX-Evil: 1", "SECRET\x00nul", "SECRET\n"} {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		s, err := Join(ctx, f.uri(), tok, f.options(nil))
		cancel()
		if s != nil {
			_ = s.Close()
		}
		require.ErrorIs(t, err, ErrInvalidValue)
		assert.NotContains(t, err.Error(), "SECRET")
	}
	assert.Zero(t, f.requests.Load())
	assert.Empty(t, f.carriers)
}
