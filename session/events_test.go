package session_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindsdk/mindgo/event"
	"github.com/mindsdk/mindgo/session"
	"github.com/mindsdk/mindgo/transport"
)

func ptr[T any](v T) *T { return &v }

// TestEveryEventKind makes the server produce each kind of event and
// checks the exact sequence a subscriber sees.
func TestEveryEventKind(t *testing.T) {
	t.Parallel()

	w := newWorld(t)
	alice := w.participant(t, "Alice", transport.RoleModerator)
	bob := w.participant(t, "Bob", transport.RoleSpeaker)
	ctx := testCtx(t)

	sa := w.join(t, alice, nil)
	ch, cancel := sa.Subscribe()
	defer cancel()
	expect := func(want ...string) {
		t.Helper()
		for _, d := range want {
			assert.Equal(t, d, describe(nextEvent(ctx, t, ch)))
		}
	}

	sb := w.join(t, bob, nil)
	expect("joined Bob")

	require.NoError(t, w.conf.Rename("Retro"))
	expect("conference name Retro")
	assert.Equal(t, "Retro", sa.Conference().Name())

	require.NoError(t, w.conf.SetRecording(true))
	expect("recording started")
	require.NoError(t, w.conf.SetRecording(false))
	expect("recording stopped")

	_, err := w.conf.UpdateParticipant(bob.ID, transport.ParticipantPatch{Name: ptr("Bobby")})
	require.NoError(t, err)
	expect("name Bobby")
	_, err = w.conf.UpdateParticipant(bob.ID, transport.ParticipantPatch{
		Priority: ptr(3.5), Language: ptr(transport.LanguageFrench), Role: ptr(transport.RolePresenter),
	})
	require.NoError(t, err)
	expect("priority Bobby 3.5", "language Bobby fr", "role Bobby presenter")

	// A signalling-only participant publishes no media, so the media
	// flags are changed by a notification injected as the server would
	// send it.
	dto, _ := w.conf.Participant(bob.ID)
	dto.Media = transport.MediaFlags{Audio: true, Video: true}
	require.NoError(t, w.conf.SendRaw(alice.ID, notification(t, transport.Updated, dto)))
	expect("media Bobby {Audio:true Video:true}")
	dto.SecondaryMedia = transport.MediaFlags{Video: true}
	require.NoError(t, w.conf.SendRaw(alice.ID, notification(t, transport.Updated, dto)))
	expect("secondary media Bobby {Audio:false Video:true}")

	_, err = w.conf.UpdateParticipant(alice.ID, transport.ParticipantPatch{
		Name: ptr("Al"), Priority: ptr(7.0), Language: ptr(transport.LanguageGerman), Role: ptr(transport.RoleSpeaker),
	})
	require.NoError(t, err)
	expect("my name Al", "my priority 7", "my language de", "my role speaker")
	assert.Equal(t, "Al", sa.Conference().Me().Name)

	_, err = w.conf.SendMessage(alice.ID, "from the app")
	require.NoError(t, err)
	expect("application says from the app")
	require.NoError(t, sb.SendMessageToParticipant(ctx, alice.ID, "from bob"))
	e := nextEvent(ctx, t, ch)
	assert.Equal(t, "Bobby says from bob", describe(e))
	assert.Equal(t, bob.ID, e.(event.MessageFromParticipant).SenderID)

	// After a lost connection the reload reconciles the model with the
	// server, which never had those media flags: they are reported back.
	w.conf.DropTransport(alice.ID)
	expect("state failed",
		"media Bobby {Audio:false Video:false}", "secondary media Bobby {Audio:false Video:false}",
		"state normal")

	require.NoError(t, sb.Close())
	expect("exited Bobby")
	assert.Equal(t, 0, sa.Conference().Len())

	require.NoError(t, w.conf.Expel(alice.ID))
	expect("me expelled", "closed: "+session.ErrExpelled.Error())
	_, open := <-ch
	assert.False(t, open)
}

func notification(t *testing.T, typ transport.NotificationType, p transport.Participant) string {
	t.Helper()

	n, err := transport.NewNotification(typ, transport.ParticipantLocation(p.ID), p)
	require.NoError(t, err)
	b, err := json.Marshal(n)
	require.NoError(t, err)

	return string(b)
}

func TestConferenceEndedIsFinal(t *testing.T) {
	t.Parallel()

	w := newWorld(t)
	alice := w.participant(t, "Alice", transport.RoleModerator)
	ctx := testCtx(t)
	sa := w.join(t, alice, nil)
	ch, _ := sa.Subscribe()
	l := newListenerLog()
	sa.Listen(l)

	require.NoError(t, w.conf.End())
	got := drain(ctx, t, ch)
	require.Len(t, got, 2)
	ended, ok := got[0].(event.ConferenceEnded)
	require.True(t, ok, "%T", got[0])
	assert.Equal(t, w.conf.ID(), ended.Conference.ID())
	assert.ErrorIs(t, got[1].(event.Closed).Reason, session.ErrConferenceEnded)

	<-sa.Done()
	assert.Equal(t, transport.StateClosed, sa.State())
	assert.ErrorIs(t, sa.Err(), session.ErrConferenceEnded)
	err := sa.SendMessageToAll(ctx, "x")
	assert.ErrorIs(t, err, session.ErrClosed)
	assert.ErrorIs(t, err, session.ErrConferenceEnded)
	require.NoError(t, sa.Close())

	l.mu.Lock()
	defer l.mu.Unlock()
	assert.Equal(t, []string{"conference ended", "closed: " + session.ErrConferenceEnded.Error()}, l.got)
}

func TestMessagesAndTargets(t *testing.T) {
	t.Parallel()

	w := newWorld(t)
	alice := w.participant(t, "Alice", transport.RoleModerator)
	bob := w.participant(t, "Bob", transport.RoleAttendee)
	ctx := testCtx(t)
	sa := w.join(t, alice, nil)
	sb := w.join(t, bob, nil)
	cha, _ := sa.Subscribe()
	chb, _ := sb.Subscribe()

	require.NoError(t, sb.SendMessageToApplication(ctx, "to app"))
	require.NoError(t, sb.SendMessageToAll(ctx, "to all"))
	e := waitFor(ctx, t, cha, func(e event.Event) bool { _, ok := e.(event.MessageFromParticipant); return ok })
	assert.Equal(t, "Bob says to all", describe(e))

	msgs := w.conf.MessagesToApplication()
	var texts []string
	for _, m := range msgs {
		texts = append(texts, m.Text)
		assert.Equal(t, bob.ID, m.SentBy)
	}
	assert.Equal(t, []string{"to app", "to all"}, texts)

	// A message from a participant this session does not know.
	raw := `{"type":"created","location":"/messages/m1","resource":{"id":"m1","sentBy":"` +
		"a1b2c3d4-0000-4000-8000-00000000dead" + `","text":"ghost"}}`
	require.NoError(t, w.conf.SendRaw(bob.ID, raw))
	e = waitFor(ctx, t, chb, func(e event.Event) bool { _, ok := e.(event.MessageFromParticipant); return ok })
	assert.Nil(t, e.(event.MessageFromParticipant).Participant, "unknown sender gives nil (Q5)")
	assert.Equal(t, "ghost", e.(event.MessageFromParticipant).Text)

	// A 404 for a bad target is the caller's error, not an expulsion (Q1).
	err := sa.SendMessageToParticipant(ctx, "a1b2c3d4-0000-4000-8000-00000000beef", "x")
	require.Error(t, err)
	assert.Equal(t, transport.StateNormal, sa.State())
	w.srv.FailNext(1, 404, nil)
	err = sa.SetName(ctx, bob.ID, "Robert")
	assert.ErrorIs(t, err, session.ErrNotFound)
	assert.Nil(t, sa.Err(), "the session must survive a 404 on a write")
	require.NoError(t, sa.SetName(ctx, bob.ID, "Robert"))
}
