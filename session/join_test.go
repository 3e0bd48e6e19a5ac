package session_test

import (
	"errors"
	"log/slog"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindsdk/mindgo/event"
	"github.com/mindsdk/mindgo/session"
	"github.com/mindsdk/mindgo/transport"
)

func TestJoinLoadsTheModel(t *testing.T) {
	t.Parallel()

	w := newWorld(t)
	alice := w.participant(t, "Alice", transport.RoleModerator)
	bob := w.participant(t, "Bob", transport.RoleSpeaker)
	w.participant(t, "Carol", transport.RoleAttendee) // never online
	ctx := testCtx(t)

	sb := w.join(t, bob, nil)
	sa := w.join(t, alice, nil)
	require.NotZero(t, sa.ID())
	assert.Greater(t, sa.ID(), sb.ID())

	c := sa.Conference()
	assert.Equal(t, w.conf.ID(), c.ID())
	assert.Equal(t, "Planning", c.Name())
	assert.Equal(t, alice.ID, c.Me().ID)
	assert.Equal(t, "Alice", c.Me().Name)
	require.Equal(t, 1, c.Len(), "only online remote participants")
	p, ok := c.Participant(bob.ID)
	require.True(t, ok)
	assert.Equal(t, "Bob", p.Name)
	_, ok = c.Participant(alice.ID)
	assert.False(t, ok, "Me is not a remote participant (Q4)")
	assert.Equal(t, transport.StateNormal, sa.State())

	assert.Equal(t, []string{"Mind Go SDK " + session.Version}, w.srv.SDKHeaders())
	require.NoError(t, w.conf.WaitOnline(ctx, alice.ID, true))
	require.NoError(t, sa.Close())
	assert.Equal(t, transport.StateClosed, sa.State())
	require.NoError(t, w.conf.WaitOnline(ctx, alice.ID, false))
	assert.ErrorIs(t, sa.SetConferenceName(ctx, "x"), session.ErrClosed)
	assert.ErrorIs(t, sa.Err(), session.ErrClosed)

	ch, _ := sa.Subscribe()
	e := nextEvent(ctx, t, ch)
	assert.ErrorIs(t, e.(event.Closed).Reason, session.ErrClosed)
	_, open := <-ch
	assert.False(t, open)
}

func TestJoinDoesNotChangeItsOptions(t *testing.T) {
	t.Parallel()

	w := newWorld(t)
	alice := w.participant(t, "Alice", transport.RoleModerator)
	opts := &session.Options{SignallingOnly: true, SDKHeader: "bot/1"}
	want := *opts

	s, err := session.Join(testCtx(t), w.conf.URI(), alice.Token, opts)
	require.NoError(t, err)
	defer s.Close()
	assert.Equal(t, want, *opts)
	assert.Equal(t, []string{"bot/1"}, w.srv.SDKHeaders())
}

func TestJoinRejectsBadInputBeforeTheNetwork(t *testing.T) {
	t.Parallel()

	w := newWorld(t)
	alice := w.participant(t, "Alice", transport.RoleModerator)
	ctx := testCtx(t)
	before := len(w.srv.Requests())

	_, err := session.Join(ctx, w.conf.URI()+"/extra", alice.Token, &session.Options{SignallingOnly: true})
	assert.ErrorIs(t, err, session.ErrMalformedURI)
	assert.ErrorIs(t, err, transport.ErrMalformedURI)

	_, err = session.Join(ctx, w.conf.URI()+"/extra", alice.Token, nil)
	assert.ErrorIs(t, err, session.ErrMalformedURI, "a media join checks the URI first too")

	assert.Len(t, w.srv.Requests(), before, "no request may be sent")
}

func TestJoinMapsRefusals(t *testing.T) {
	t.Parallel()

	w := newWorld(t)
	alice := w.participant(t, "Alice", transport.RoleModerator)
	ctx := testCtx(t)
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	opts := &session.Options{SignallingOnly: true, Logger: logger}
	defer func() { assert.NotContains(t, logs.String(), alice.Token) }()

	_, err := session.Join(ctx, w.conf.URI(), "not-a-token", opts)
	assert.ErrorIs(t, err, session.ErrUnauthorized)
	var se *session.StatusError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, http.StatusUnauthorized, se.Code)

	for _, code := range []int{http.StatusForbidden, http.StatusNotFound} {
		w.srv.FailNext(1, code, func(r *http.Request) bool { return r.Method == http.MethodGet && r.URL.RawQuery != "" })
		_, err = session.Join(ctx, w.conf.URI(), alice.Token, opts)
		require.ErrorAs(t, err, &se)
		assert.Equal(t, code, se.Code)
		want := map[int]error{http.StatusForbidden: session.ErrForbidden, http.StatusNotFound: session.ErrNotFound}[code]
		assert.ErrorIs(t, err, want)
		assert.NotContains(t, err.Error(), alice.Token)
	}

	require.NoError(t, w.conf.Expel(alice.ID))
	_, err = session.Join(ctx, w.conf.URI(), alice.Token, opts)
	require.Error(t, err)
	assert.True(t, errors.Is(err, session.ErrNotFound) || errors.Is(err, session.ErrUnauthorized), "%v", err)
}
