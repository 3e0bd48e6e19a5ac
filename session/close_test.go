package session_test

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindsdk/mindgo/event"
	"github.com/mindsdk/mindgo/session"
	"github.com/mindsdk/mindgo/transport"
)

// assertNoSessionGoroutines waits until no goroutine runs code of the
// session or of its WebSocket (other tests in parallel may own some, so
// this is used only by tests that do not run in parallel).
func assertNoSessionGoroutines(ctx context.Context, t *testing.T) {
	t.Helper()

	for {
		buf := make([]byte, 1<<20)
		stacks := string(buf[:runtime.Stack(buf, true)])
		if !strings.Contains(stacks, "mindgo/session.(*") && !strings.Contains(stacks, "mindgo/transport/ws.(*") {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("session goroutines left:\n%s", stacks)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func isUpgrade(r *http.Request) bool { return r.Header.Get("Upgrade") != "" }

func isSnapshot(r *http.Request) bool { return r.Method == http.MethodGet && r.URL.RawQuery != "" }

func TestCloseIsIdempotentAndConcurrent(t *testing.T) {
	t.Parallel()

	w := newWorld(t)
	alice := w.participant(t, "Alice", transport.RoleModerator)
	ctx := testCtx(t)
	l := newListenerLog()
	sa := w.join(t, alice, &session.Options{Listener: l})
	ch, _ := sa.Subscribe()

	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() { assert.NoError(t, sa.Close()) })
	}
	wg.Wait()
	require.NoError(t, sa.Close())

	got := drain(ctx, t, ch)
	require.Len(t, got, 1)
	assert.ErrorIs(t, got[0].(event.Closed).Reason, session.ErrClosed)
	l.mu.Lock()
	assert.Equal(t, []string{"closed: " + session.ErrClosed.Error()}, l.got)
	l.mu.Unlock()
	require.NoError(t, w.conf.WaitOnline(ctx, alice.ID, false))

	assert.ErrorIs(t, sa.StartRecording(ctx), session.ErrClosed)
	_, err := sa.DownloadRecording(ctx)
	assert.ErrorIs(t, err, session.ErrClosed)
}

// closer closes the session from inside a handler.
type closer struct {
	event.Base
	s      chan *session.Session
	closed chan error
}

func (c *closer) OnParticipantJoined(event.ParticipantJoined) {
	c.closed <- (<-c.s).Close()
}

func TestCloseFromInsideAListenerDoesNotDeadlock(t *testing.T) {
	t.Parallel()

	w := newWorld(t)
	alice := w.participant(t, "Alice", transport.RoleModerator)
	bob := w.participant(t, "Bob", transport.RoleModerator)
	ctx := testCtx(t)
	c := &closer{s: make(chan *session.Session, 1), closed: make(chan error, 1)}
	sa := w.join(t, alice, &session.Options{Listener: c})
	c.s <- sa

	w.join(t, bob, nil)
	select {
	case err := <-c.closed:
		require.NoError(t, err)
	case <-ctx.Done():
		t.Fatal("Close from a handler deadlocked")
	}
	<-sa.Done()
	assert.ErrorIs(t, sa.Err(), session.ErrClosed)
}

func TestCloseFromTheSubscriberGoroutine(t *testing.T) {
	t.Parallel()

	w := newWorld(t)
	alice := w.participant(t, "Alice", transport.RoleModerator)
	ctx := testCtx(t)
	sa := w.join(t, alice, &session.Options{EventBuffer: 4})
	ch, _ := sa.Subscribe()

	require.NoError(t, w.conf.Rename("a"))
	nextEvent(ctx, t, ch)
	// More events pile up unread while the consumer closes.
	require.NoError(t, w.conf.Rename("b"))
	require.NoError(t, w.conf.Rename("c"))
	require.NoError(t, sa.Close())
	got := drain(ctx, t, ch)
	require.NotEmpty(t, got)
	_, isClosed := got[len(got)-1].(event.Closed)
	assert.True(t, isClosed)
}

// TestJoinCancelledLeavesNothingBehind cancels Join while the WebSocket
// handshake, then the snapshot read, is held by the server.
func TestJoinCancelledLeavesNothingBehind(t *testing.T) {
	w := newWorld(t)
	alice := w.participant(t, "Alice", transport.RoleModerator)
	ctx := testCtx(t)
	opts := &session.Options{SignallingOnly: true}

	for name, match := range map[string]func(*http.Request) bool{
		"during the handshake": isUpgrade,
		"during the snapshot":  isSnapshot,
	} {
		t.Run(name, func(t *testing.T) {
			w.srv.DelayNext(1, 10*time.Second, match)
			jctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
			defer cancel()

			s, err := session.Join(jctx, w.conf.URI(), alice.Token, opts)
			require.ErrorIs(t, err, context.DeadlineExceeded)
			assert.Nil(t, s)
			require.NoError(t, w.conf.WaitOnline(ctx, alice.ID, false))
			assertNoSessionGoroutines(ctx, t)
		})
	}

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err := session.Join(cctx, w.conf.URI(), alice.Token, opts)
	require.ErrorIs(t, err, context.Canceled)

	// Join's context has no hold on the session once Join returned.
	jctx, jcancel := context.WithCancel(ctx)
	s, err := session.Join(jctx, w.conf.URI(), alice.Token, opts)
	require.NoError(t, err)
	jcancel()
	require.NoError(t, s.SetMyName(ctx, "still here"))
	require.NoError(t, w.conf.Rename("still notified"))
	ch, _ := s.Subscribe()
	_ = ch
	require.NoError(t, w.conf.WaitOnline(ctx, alice.ID, true))
	require.NoError(t, s.Close())
}

func TestConferenceEndedOrExpelledWhileJoining(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		name string
		act  func(w *world, id string) error
		want error
	}{
		{"ended", func(w *world, _ string) error { return w.conf.End() }, session.ErrConferenceEnded},
		{"expelled", func(w *world, id string) error { return w.conf.Expel(id) }, session.ErrExpelled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			w := newWorld(t)
			alice := w.participant(t, "Alice", transport.RoleModerator)
			ctx := testCtx(t)
			w.srv.DelayNext(1, 2*time.Second, isSnapshot)

			done := make(chan error, 1)
			go func() {
				_, err := session.Join(ctx, w.conf.URI(), alice.Token, &session.Options{SignallingOnly: true})
				done <- err
			}()
			require.NoError(t, w.conf.WaitOnline(ctx, alice.ID, true))
			require.NoError(t, tc.act(w, alice.ID))

			select {
			case err := <-done:
				assert.ErrorIs(t, err, tc.want, "Q24: a distinct error")
			case <-ctx.Done():
				t.Fatal("Join did not return")
			}
		})
	}
}

// closeOnEvent closes the session from every handler it gets.
type closeOnEvent struct {
	event.Base
	s    chan *session.Session
	done chan struct{}
}

func (c *closeOnEvent) OnConferenceNameChanged(event.ConferenceNameChanged) {
	s := <-c.s
	c.s <- s
	_ = s.Close()
	c.done <- struct{}{}
}

func TestTwoHandlersClosingAtOnce(t *testing.T) {
	t.Parallel()

	w := newWorld(t)
	alice := w.participant(t, "Alice", transport.RoleModerator)
	ctx := testCtx(t)
	sa := w.join(t, alice, nil)
	c := &closeOnEvent{s: make(chan *session.Session, 1), done: make(chan struct{}, 2)}
	c.s <- sa
	sa.Listen(c)
	sa.Listen(c)

	require.NoError(t, w.conf.Rename("go"))
	for range 2 {
		select {
		case <-c.done:
		case <-ctx.Done():
			t.Fatal("handlers closing at once deadlocked")
		}
	}
	require.NoError(t, sa.Close())
}

// TestWritesRacingClose issues writes from many goroutines while the
// session closes: every call returns, with nil or ErrClosed, and nothing
// is left running.
func TestWritesRacingClose(t *testing.T) {
	t.Parallel()

	w := newWorld(t)
	alice := w.participant(t, "Alice", transport.RoleModerator)
	ctx := testCtx(t)
	sa := w.join(t, alice, nil)

	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() {
			for j := 0; ; j++ {
				var err error
				if j%2 == 0 {
					err = sa.SetMyName(ctx, fmt.Sprintf("Alice %d.%d", i, j))
				} else {
					err = sa.SendMessageToAll(ctx, "x")
				}
				if err != nil {
					assert.ErrorIs(t, err, session.ErrClosed)
					return
				}
			}
		})
	}
	require.NoError(t, w.conf.Rename("busy"))
	require.NoError(t, sa.Close())
	wg.Wait()
}
