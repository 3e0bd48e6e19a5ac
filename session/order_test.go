package session_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindsdk/mindgo/event"
	"github.com/mindsdk/mindgo/session"
	"github.com/mindsdk/mindgo/transport"
)

// TestBurstKeepsServerOrderForEverySubscriber applies 1,000 changes to
// four participants from four goroutines and checks that two subscribers
// and a listener each see exactly the server's order.
func TestBurstKeepsServerOrderForEverySubscriber(t *testing.T) {
	t.Parallel()

	const perParticipant = 250
	w := newWorld(t)
	alice := w.participant(t, "Alice", transport.RoleModerator)
	ctx := testCtx(t)

	var others []transport.ParticipantWithToken
	for i := range 4 {
		p := w.participant(t, fmt.Sprintf("P%d", i), transport.RoleAttendee)
		w.join(t, p, nil)
		others = append(others, p)
	}

	l := newListenerLog()
	sa := w.join(t, alice, &session.Options{Listener: l, EventBuffer: 4096})
	require.Equal(t, 4, sa.Conference().Len())
	ch1, _ := sa.Subscribe()
	ch2, _ := sa.Subscribe()
	start := len(w.conf.Notifications(alice.ID))

	var wg sync.WaitGroup
	for _, p := range others {
		wg.Go(func() {
			for j := range perParticipant {
				name := fmt.Sprintf("%s-%d", p.ID[:8], j)
				_, err := w.conf.UpdateParticipant(p.ID, transport.ParticipantPatch{Name: &name})
				assert.NoError(t, err)
			}
		})
	}
	wg.Wait()

	// The server's order, from what it sent to Alice.
	var want []string
	for _, text := range w.conf.Notifications(alice.ID)[start:] {
		n, err := transport.DecodeNotification([]byte(text))
		require.NoError(t, err)
		p, err := transport.DecodeParticipant(n.Resource)
		require.NoError(t, err)
		want = append(want, "name "+p.Name)
	}
	require.Len(t, want, 4*perParticipant)

	read := func(ch <-chan event.Event) []string {
		var got []string
		for len(got) < len(want) {
			got = append(got, describe(nextEvent(ctx, t, ch)))
		}
		return got
	}
	assert.Equal(t, want, read(ch1))
	assert.Equal(t, want, read(ch2))
	var fromListener []string
	for len(fromListener) < len(want) {
		select {
		case e := <-l.all:
			fromListener = append(fromListener, describe(e))
		case <-ctx.Done():
			t.Fatal("listener fell silent")
		}
	}
	assert.Equal(t, want, fromListener)

	// Per participant, names came in the order they were set.
	for _, p := range others {
		last := -1
		for _, d := range want {
			var j int
			if _, err := fmt.Sscanf(d, "name "+p.ID[:8]+"-%d", &j); err == nil {
				assert.Equal(t, last+1, j)
				last = j
			}
		}
		assert.Equal(t, perParticipant-1, last)
	}
}

// TestStalledSubscriberDelaysNobody: one subscriber never reads; another
// reads every event in lockstep with the changes. The stalled one ends
// with ErrOverflow after exactly EventBuffer events.
func TestStalledSubscriberDelaysNobody(t *testing.T) {
	t.Parallel()

	const bound = 16
	w := newWorld(t)
	alice := w.participant(t, "Alice", transport.RoleModerator)
	ctx := testCtx(t)
	sa := w.join(t, alice, &session.Options{EventBuffer: bound})

	stalled, _ := sa.Subscribe()
	reader, _ := sa.Subscribe()
	for i := range 3 * bound {
		require.NoError(t, w.conf.Rename(fmt.Sprintf("name %d", i)))
		assert.Equal(t, fmt.Sprintf("conference name name %d", i), describe(nextEvent(ctx, t, reader)))
	}

	got := drain(ctx, t, stalled)
	require.Len(t, got, bound+1)
	assert.Equal(t, "conference name name 0", describe(got[0]))
	assert.Equal(t, fmt.Sprintf("conference name name %d", bound-1), describe(got[bound-1]))
	assert.ErrorIs(t, got[bound].(event.Closed).Reason, session.ErrOverflow)
	assert.Nil(t, sa.Err(), "the session goes on")
}

// reentrant calls the session's read and write methods from inside every
// handler.
type reentrant struct {
	event.Base
	s     atomic.Pointer[session.Session]
	ctx   context.Context //nolint:containedctx // test-scoped
	seen  chan string
	fails atomic.Int32
}

func (r *reentrant) OnConferenceNameChanged(e event.ConferenceNameChanged) {
	s := r.s.Load()
	// The model is at least as new as the event.
	if !strings.HasPrefix(s.Conference().Name(), "round ") || s.State() != transport.StateNormal {
		r.fails.Add(1)
	}
	if err := s.SendMessageToApplication(r.ctx, "ack "+e.Conference.Name()); err != nil {
		r.fails.Add(1)
	}
	if err := s.SetMyName(r.ctx, "Alice "+e.Conference.Name()); err != nil {
		r.fails.Add(1)
	}
	ch, cancel := s.Subscribe()
	cancel()
	for range ch {
	}
	r.seen <- e.Conference.Name()
}

func TestHandlersMayCallBackIntoTheSession(t *testing.T) {
	t.Parallel()

	const rounds = 50
	w := newWorld(t)
	alice := w.participant(t, "Alice", transport.RoleModerator)
	ctx := testCtx(t)
	r := &reentrant{ctx: ctx, seen: make(chan string, rounds)}
	sa := w.join(t, alice, nil)
	r.s.Store(sa)
	sa.Listen(r)

	go func() {
		for i := range rounds {
			_ = w.conf.Rename(fmt.Sprintf("round %d", i))
		}
	}()
	for i := range rounds {
		select {
		case name := <-r.seen:
			assert.Equal(t, fmt.Sprintf("round %d", i), name)
		case <-ctx.Done():
			t.Fatalf("handler stuck after %d rounds", i)
		}
	}
	assert.Zero(t, r.fails.Load())
	assert.Len(t, w.conf.MessagesToApplication(), rounds)
	require.NoError(t, sa.Close())
}
