package session_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindsdk/mindgo/conference"
	"github.com/mindsdk/mindgo/event"
	"github.com/mindsdk/mindgo/session"
	"github.com/mindsdk/mindgo/transport"
)

// syncBuffer is a log sink safe for concurrent writers.
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

func byToken(token string, also func(*http.Request) bool) func(*http.Request) bool {
	return func(r *http.Request) bool {
		return r.Header.Get("Authorization") == "Bearer "+token && also(r)
	}
}

// TestRecoveryReportsWhatHappenedMeanwhile drops the session's transport,
// holds its reconnect while the conference changes, and checks the events
// of the reconciliation and the final model.
func TestRecoveryReportsWhatHappenedMeanwhile(t *testing.T) {
	t.Parallel()

	w := newWorld(t)
	alice := w.participant(t, "Alice", transport.RoleModerator)
	bob := w.participant(t, "Bob", transport.RoleSpeaker)
	carol := w.participant(t, "Carol", transport.RoleAttendee)
	dave := w.participant(t, "Dave", transport.RoleAttendee)
	ctx := testCtx(t)

	w.join(t, bob, nil)
	sd := w.join(t, dave, nil)
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	sa := w.join(t, alice, &session.Options{Logger: logger})
	require.Equal(t, 2, sa.Conference().Len())
	ch, _ := sa.Subscribe()

	w.srv.DelayNext(1, 2*time.Second, byToken(alice.Token, isUpgrade))
	w.conf.DropTransport(alice.ID)
	assert.Equal(t, "state failed", describe(nextEvent(ctx, t, ch)))
	assert.Equal(t, transport.StateFailed, sa.State())

	// Changes while Alice is away.
	require.NoError(t, w.conf.Rename("Moved"))
	require.NoError(t, w.conf.SetRecording(true))
	require.NoError(t, sd.Close())
	require.NoError(t, w.conf.WaitOnline(ctx, dave.ID, false))
	_, err := w.conf.UpdateParticipant(bob.ID, transport.ParticipantPatch{Name: ptr("Bobby")})
	require.NoError(t, err)
	_, err = w.conf.UpdateParticipant(alice.ID, transport.ParticipantPatch{Priority: ptr(5.0)})
	require.NoError(t, err)
	w.join(t, carol, nil)

	var got []string
	for {
		d := describe(nextEvent(ctx, t, ch))
		got = append(got, d)
		if d == "state normal" {
			break
		}
	}
	assert.Equal(t, []string{
		"conference name Moved", "recording started", "exited Dave",
		"my priority 5", "name Bobby", "joined Carol", "state normal",
	}, got)
	assertModelEqualsServer(t, sa.Conference(), w.conf.Snapshot(), alice.ID)

	// Back to ordinary notifications.
	require.NoError(t, w.conf.Rename("After"))
	assert.Equal(t, "conference name After", describe(nextEvent(ctx, t, ch)))

	require.NoError(t, sa.Close())
	assert.NotContains(t, logs.String(), alice.Token)
	assert.Contains(t, logs.String(), "state=failed")
}

// assertModelEqualsServer compares the session's model with the server's
// view of the conference.
func assertModelEqualsServer(t *testing.T, got *conference.Conference, want transport.Conference, me string) {
	t.Helper()

	assert.Equal(t, want.Name, got.Name())
	assert.Equal(t, want.Recording.Started, got.Recording())
	var remote []conference.Participant
	for _, p := range want.Participants {
		switch {
		case p.ID == me:
			assert.Equal(t, conference.MeFrom(p), got.Me())
		case p.Online:
			remote = append(remote, conference.ParticipantFrom(p))
		}
	}
	sortByID := func(ps []conference.Participant) {
		slices.SortFunc(ps, func(a, b conference.Participant) int {
			if a.ID < b.ID {
				return -1
			}
			return 1
		})
	}
	gotRemote := got.Participants()
	sortByID(remote)
	sortByID(gotRemote)
	assert.Equal(t, remote, gotRemote)
}

func TestRecoveryEndsOnNotFound(t *testing.T) {
	t.Parallel()

	w := newWorld(t)
	alice := w.participant(t, "Alice", transport.RoleModerator)
	ctx := testCtx(t)
	sa := w.join(t, alice, nil)
	ch, _ := sa.Subscribe()

	w.srv.FailNext(1, http.StatusNotFound, byToken(alice.Token, isSnapshot))
	w.conf.DropTransport(alice.ID)

	var got []string
	for _, e := range drain(ctx, t, ch) {
		got = append(got, describe(e))
	}
	assert.Equal(t, []string{"state failed", "me expelled", "closed: " + session.ErrExpelled.Error()}, got)
	assert.ErrorIs(t, sa.Err(), session.ErrExpelled)
}

func TestRecoveryRetriesUntilTheServerAnswers(t *testing.T) {
	t.Parallel()

	w := newWorld(t)
	alice := w.participant(t, "Alice", transport.RoleModerator)
	ctx := testCtx(t)
	sa := w.join(t, alice, nil)
	ch, _ := sa.Subscribe()

	// Three handshakes and two snapshot reads fail, each a new attempt.
	w.srv.FailNext(3, http.StatusServiceUnavailable, byToken(alice.Token, isUpgrade))
	w.srv.FailNext(2, http.StatusInternalServerError, byToken(alice.Token, isSnapshot))
	w.conf.DropTransport(alice.ID)

	assert.Equal(t, "state failed", describe(nextEvent(ctx, t, ch)))
	assert.Equal(t, "state normal", describe(nextEvent(ctx, t, ch)))
	upgrades := 0
	for _, r := range w.srv.Requests() {
		if r.Header.Get("Authorization") == "Bearer "+alice.Token && r.Header.Get("Upgrade") != "" {
			upgrades++
		}
	}
	assert.Equal(t, 1+3+2+1, upgrades, "join, failed handshakes, attempts whose snapshot failed, success")
	require.NoError(t, w.conf.WaitOnline(ctx, alice.ID, true))
}

func TestMalformedNotificationIsSkipped(t *testing.T) {
	t.Parallel()

	w := newWorld(t)
	alice := w.participant(t, "Alice", transport.RoleModerator)
	ctx := testCtx(t)
	sa := w.join(t, alice, nil)
	ch, _ := sa.Subscribe()

	require.NoError(t, w.conf.SendRaw(alice.ID, "{not json"))
	require.NoError(t, w.conf.SendRaw(alice.ID, `{"type":"updated","location":"/participants/x","resource":7}`))
	require.NoError(t, w.conf.Rename("fine"))
	assert.Equal(t, "conference name fine", describe(nextEvent(ctx, t, ch)))
	assert.Equal(t, transport.StateNormal, sa.State())
}

// TestOwnWritesFireOnce: a write is in the model when it returns and its
// event fires exactly once, whether the answer or the notification comes
// first (Q6).
func TestOwnWritesFireOnce(t *testing.T) {
	t.Parallel()

	w := newWorld(t)
	alice := w.participant(t, "Alice", transport.RoleModerator)
	bob := w.participant(t, "Bob", transport.RoleSpeaker)
	ctx := testCtx(t)
	w.join(t, bob, nil)
	sa := w.join(t, alice, nil)
	ch, _ := sa.Subscribe()

	require.NoError(t, sa.SetConferenceName(ctx, "Mine"))
	assert.Equal(t, "Mine", sa.Conference().Name())
	require.NoError(t, sa.StartRecording(ctx))
	assert.True(t, sa.Conference().Recording())
	require.NoError(t, sa.StopRecording(ctx))
	require.NoError(t, sa.SetMyName(ctx, "Al"))
	assert.Equal(t, "Al", sa.Conference().Me().Name)
	require.NoError(t, sa.SetMyPriority(ctx, 4))
	require.NoError(t, sa.SetMyLanguage(ctx, transport.LanguageSpanish))
	require.NoError(t, sa.SetName(ctx, bob.ID, "Bobby"))
	p, _ := sa.Conference().Participant(bob.ID)
	assert.Equal(t, "Bobby", p.Name)
	require.NoError(t, sa.SetPriority(ctx, bob.ID, 9))
	require.NoError(t, sa.SetLanguage(ctx, bob.ID, transport.LanguageItalian))
	require.NoError(t, sa.SetRole(ctx, bob.ID, transport.RoleAttendee))
	require.NoError(t, sa.SetMyRole(ctx, transport.RolePresenter))

	require.NoError(t, w.conf.Rename("marker"))
	var got []string
	for {
		d := describe(nextEvent(ctx, t, ch))
		if d == "conference name marker" {
			break
		}
		got = append(got, d)
	}
	assert.Equal(t, []string{
		"conference name Mine", "recording started", "recording stopped",
		"my name Al", "my priority 4", "my language es",
		"name Bobby", "priority Bobby 9", "language Bobby it", "role Bobby attendee",
		"my role presenter",
	}, got)

	// A presenter may not do moderator things any more.
	assert.ErrorIs(t, sa.SetConferenceName(ctx, "no"), session.ErrForbidden)
	assert.ErrorIs(t, sa.SetRole(ctx, bob.ID, "boss"), session.ErrInvalidValue)
	assert.ErrorIs(t, sa.SetLanguage(ctx, bob.ID, "xx"), session.ErrInvalidValue)
	assert.ErrorIs(t, sa.SetName(ctx, "Bob", "x"), session.ErrInvalidValue)
}

func TestDownloadRecording(t *testing.T) {
	t.Parallel()

	w := newWorld(t)
	alice := w.participant(t, "Alice", transport.RoleModerator)
	bob := w.participant(t, "Bob", transport.RoleSpeaker)
	ctx := testCtx(t)
	sa := w.join(t, alice, nil)
	sb := w.join(t, bob, nil)

	rc, err := sa.DownloadRecording(ctx)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	for _, r := range w.srv.Requests() {
		if r.Path == "/"+w.srv.ApplicationID()+"/"+w.conf.ID()+"/recording" {
			assert.Equal(t, "Bearer "+alice.Token, r.Header.Get("Authorization"))
		}
		assert.NotContains(t, r.Path, alice.Token)
	}

	_, err = sb.DownloadRecording(ctx)
	assert.ErrorIs(t, err, session.ErrForbidden)
	var se *session.StatusError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "/recording", se.Path)
}

var _ event.Listener = (*listenerLog)(nil)
