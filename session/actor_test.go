package session

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindsdk/mindgo/event"
	"github.com/mindsdk/mindgo/transport"
)

// TestReloadHoldsBackNewerNotifications: a notification that arrives on
// the new carrier while an older snapshot is being read must win (Q9).
// Reports of the dropped carrier are ignored (Q11).
func TestReloadHoldsBackNewerNotifications(t *testing.T) {
	t.Parallel()

	f := newFakeServer(t)
	s := f.join(t, nil)
	c1 := f.carrier(t)
	ch, _ := s.Subscribe()

	gate := make(chan struct{})
	f.mu.Lock()
	f.gate = gate
	f.mu.Unlock()

	c1.deliver(note{kind: noteFailed, err: errors.New("lost")})
	assert.Equal(t, event.StateChanged{State: transport.StateFailed, Previous: transport.StateNormal}, next(t, ch))
	assert.True(t, c1.closed.Load())
	c2 := f.carrier(t)
	<-f.reads // the snapshot read is in flight, with Bob still "Bob"

	bobby := transport.Participant{ID: fakeBob, Name: "Bobby", Priority: 1, Language: "en",
		Role: transport.RoleSpeaker, Online: true}
	c2.notify(participantNote(t, transport.Updated, bobby))
	c1.notify(participantNote(t, transport.Deleted, bobby)) // stale carrier
	close(gate)

	e := next(t, ch)
	require.IsType(t, event.ParticipantNameChanged{}, e)
	assert.Equal(t, "Bobby", e.(event.ParticipantNameChanged).Participant.Name)
	assert.Equal(t, event.StateChanged{State: transport.StateNormal, Previous: transport.StateFailed}, next(t, ch))
	p, ok := s.Conference().Participant(fakeBob)
	require.True(t, ok, "the stale carrier's deletion must be ignored")
	assert.Equal(t, "Bobby", p.Name)
}

// TestMeIsNeverARemoteParticipant: an offline report for Me is ignored and
// a deletion of Me's ID is an expulsion (Q4).
func TestMeIsNeverARemoteParticipant(t *testing.T) {
	t.Parallel()

	f := newFakeServer(t)
	s := f.join(t, nil)
	c := f.carrier(t)
	ch, _ := s.Subscribe()

	me := transport.Participant{ID: fakeMe, Name: "Me", Priority: 1, Language: "en", Role: transport.RoleModerator}
	c.notify(participantNote(t, transport.Updated, me)) // online: false
	c.notify(transport.Notification{Type: transport.Updated, Location: "/", Resource: []byte(`{"name":"marker"}`)})
	assert.IsType(t, event.ConferenceNameChanged{}, next(t, ch))
	assert.Equal(t, 1, s.Conference().Len(), "Bob must still be there")

	c.notify(transport.Notification{Type: transport.Deleted, Location: transport.ParticipantLocation(fakeMe)})
	assert.IsType(t, event.MeExpelled{}, next(t, ch))
	closed := next(t, ch).(event.Closed)
	assert.ErrorIs(t, closed.Reason, ErrExpelled)
}

// TestNotificationsAfterTheEndAreNotProcessed: nothing of a batch is
// applied after a terminal notification (Q17).
func TestNotificationsAfterTheEndAreNotProcessed(t *testing.T) {
	t.Parallel()

	f := newFakeServer(t)
	s := f.join(t, nil)
	c := f.carrier(t)
	ch, _ := s.Subscribe()

	c.deliver(note{kind: noteMessage, msg: transport.ChannelMessage{CloseCode: transport.CloseConferenceEnded}})
	c.notify(transport.Notification{Type: transport.Updated, Location: "/", Resource: []byte(`{"name":"late"}`)})
	assert.IsType(t, event.ConferenceEnded{}, next(t, ch))
	assert.IsType(t, event.Closed{}, next(t, ch))
	_, open := <-ch
	assert.False(t, open)
	assert.Equal(t, "Conf", s.Conference().Name())
}

// TestQueuedBeforeTheModelIsDrainedToTheJoinListener: notifications that
// arrive while Join reads the snapshot reach a listener given to Join
// (Q10).
func TestQueuedBeforeTheModelIsDrainedToTheJoinListener(t *testing.T) {
	t.Parallel()

	f := newFakeServer(t)
	gate := make(chan struct{})
	f.gate = gate
	got := make(chan event.Event, 8)
	l := &chanListener{ch: got}

	done := make(chan *Session, 1)
	go func() { done <- f.join(t, &Options{Listener: l}) }()
	c := f.carrier(t)
	c.notify(transport.Notification{Type: transport.Created, Location: "/messages/m1",
		Resource: []byte(`{"sentBy":"` + fakeApp + `","text":"early"}`)})
	close(gate)
	s := <-done

	e := next(t, got)
	assert.Equal(t, "early", e.(event.MessageFromApplication).Text)
	require.NoError(t, s.Close())
	assert.IsType(t, event.Closed{}, next(t, got))
}

type chanListener struct {
	event.Base
	ch chan event.Event
}

func (l *chanListener) OnMessageFromApplication(e event.MessageFromApplication) { l.ch <- e }
func (l *chanListener) OnClosed(e event.Closed)                                 { l.ch <- e }

// closeInHandler closes the session from the first handler it gets.
type closeInHandler struct {
	event.Base
	s      chan *Session
	closed chan error
	once   sync.Once
}

// OnMessageFromApplication closes on the first message; the events
// already queued for this listener are still delivered after that.
func (c *closeInHandler) OnMessageFromApplication(event.MessageFromApplication) {
	c.once.Do(func() { c.closed <- (<-c.s).Close() })
}

// TestCloseFromTheJoinListenerWhileDraining closes the session from a
// handler of an event produced by the join-time queue.
func TestCloseFromTheJoinListenerWhileDraining(t *testing.T) {
	t.Parallel()

	f := newFakeServer(t)
	f.gate = make(chan struct{})
	l := &closeInHandler{s: make(chan *Session, 1), closed: make(chan error, 1)}

	done := make(chan *Session, 1)
	go func() { done <- f.join(t, &Options{Listener: l}) }()
	c := f.carrier(t)
	for range 3 {
		c.notify(transport.Notification{Type: transport.Created, Location: "/messages/m1",
			Resource: []byte(`{"sentBy":"` + fakeApp + `","text":"early"}`)})
	}
	close(f.gate)
	s := <-done
	l.s <- s

	select {
	case err := <-l.closed:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Close from the join listener deadlocked")
	}
	<-s.Done()
	assert.True(t, c.closed.Load())
	require.NoError(t, s.Close())
}

// TestWriteWaitsForItsNotification: the answer to a write arrives before
// the notifications of earlier changes; the model follows the server's
// order (no flapping back) and the write returns once its own
// notification is applied (Q6).
func TestWriteWaitsForItsNotification(t *testing.T) {
	t.Parallel()

	f := newFakeServer(t)
	s := f.join(t, nil)
	c := f.carrier(t)
	ch, _ := s.Subscribe()

	done := make(chan error, 1)
	go func() { done <- s.SetLanguage(t.Context(), fakeBob, transport.LanguageItalian) }()
	<-f.patched // the server has answered; the notifications are still to come

	// An older change (a priority) whose notification still says "en".
	bob := transport.Participant{ID: fakeBob, Name: "Bob", Priority: 9, Language: "en",
		Role: transport.RoleSpeaker, Online: true}
	c.notify(participantNote(t, transport.Updated, bob))
	assert.Equal(t, "9 ", describeBob(next(t, ch)))
	select {
	case err := <-done:
		t.Fatalf("returned before its notification: %v", err)
	default:
	}

	bob.Language = "it"
	c.notify(participantNote(t, transport.Updated, bob))
	assert.Equal(t, "9 it", describeBob(next(t, ch)))
	require.NoError(t, <-done)
	p, _ := s.Conference().Participant(fakeBob)
	assert.Equal(t, transport.LanguageItalian, p.Language, "in the model when the call returns")
}

// TestWriteWithoutNotificationAppliesTheAnswer: if the notification never
// comes, the answer is applied after the hold timeout, with one event.
func TestWriteWithoutNotificationAppliesTheAnswer(t *testing.T) {
	t.Parallel()

	f := newFakeServer(t)
	s := f.join(t, &Options{holdTimeout: 20 * time.Millisecond})
	ch, _ := s.Subscribe()

	require.NoError(t, s.SetPriority(t.Context(), fakeBob, 3))
	p, _ := s.Conference().Participant(fakeBob)
	assert.Equal(t, 3.0, p.Priority)
	assert.Equal(t, "3 ", describeBob(next(t, ch)))
}

func describeBob(e event.Event) string {
	switch e := e.(type) {
	case event.ParticipantPriorityChanged:
		return fmt.Sprintf("%v ", e.Participant.Priority)
	case event.ParticipantLanguageChanged:
		return fmt.Sprintf("%v %s", e.Participant.Priority, e.Participant.Language)
	default:
		return fmt.Sprintf("%T", e)
	}
}
