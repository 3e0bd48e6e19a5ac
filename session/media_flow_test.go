package session_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindsdk/mindgo/event"
	"github.com/mindsdk/mindgo/media"
	"github.com/mindsdk/mindgo/session"
	"github.com/mindsdk/mindgo/transport"
)

func TestMediaFirstOfferIsDataChannelOnlyWithoutHostCandidates(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	alice := w.participant(t, "Alice", transport.RoleSpeaker)
	a := w.joinMedia(t, alice, nil)
	require.NoError(t, w.conf.WaitOnline(testCtx(t), alice.ID, true))
	require.NoError(t, a.Close())

	log := w.conf.SDPLog(alice.ID)
	require.GreaterOrEqual(t, len(log), 1)
	first := log[0].Offer
	assert.Equal(t, 1, strings.Count(first, "\r\nm="), "only the data channel section")
	assert.Contains(t, first, "m=application")
	for _, x := range log {
		assert.NotContains(t, x.Offer, "typ host")
	}
}

func TestMediaSlotFollowsThePublishersFlags(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	w := newWorld(t)
	alice := w.participant(t, "Alice", transport.RoleSpeaker)
	bob := w.participant(t, "Bob", transport.RoleSpeaker)
	a := w.joinMedia(t, alice, nil)
	b := w.joinMedia(t, bob, nil)

	// Bob subscribes before Alice sends anything: nothing flows yet.
	counter, sink := counterSink()
	sub, err := b.Receive(ctx, session.PrimaryStream(alice.ID), session.ReceiveOptions{Video: counter})
	require.NoError(t, err)

	stream := testStream(t, 1)
	require.NoError(t, a.SetPrimaryStream(ctx, stream))
	waitCounts(ctx, t, sub, 0, 10)

	// Alice stops: nothing more arrives, the subscription stays.
	require.NoError(t, a.SetPrimaryStream(ctx, nil))
	w.waitMedia(ctx, t, alice.ID, false, transport.MediaFlags{})
	require.Eventually(t, func() bool {
		p, ok := b.Conference().Participant(alice.ID)
		return ok && !p.Media.Video
	}, 5*time.Second, 10*time.Millisecond)
	assert.NoError(t, sub.Err())
	assert.False(t, sink.closed())
	// Its receive section is parked: no offer section names the stream.
	label := "a=msid:" + alice.ID + "#primary "
	require.Eventually(t, func() bool {
		log := w.conf.SDPLog(bob.ID)
		last := log[len(log)-1]
		return last.Answer != "" && !strings.Contains(last.Offer, label)
	}, 5*time.Second, 20*time.Millisecond)

	// Alice leaves: the subscription ends and its sink is closed.
	require.NoError(t, a.Close())
	select {
	case <-sub.Done():
	case <-ctx.Done():
		t.Fatal("subscription not ended when its participant left")
	}
	assert.ErrorIs(t, sub.Err(), session.ErrStreamEnded)
	assert.True(t, sink.closed())
	require.NoError(t, sub.Close(), "closing an ended subscription is harmless")
}

func TestMediaDistortionReports(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	w := newWorld(t)
	alice := w.participant(t, "Alice", transport.RoleSpeaker)
	bob := w.participant(t, "Bob", transport.RoleAttendee)
	a := w.joinMedia(t, alice, nil)
	b := w.joinMedia(t, bob, nil)

	// The conference stream has no video until Alice publishes: after the
	// grace period Bob's subscription is distorted; once video flows and
	// has been fine for a while, the distortion is reported.
	counter, _ := counterSink()
	_, err := b.Receive(ctx, session.ConferenceStream(), session.ReceiveOptions{Video: counter})
	require.NoError(t, err)
	select {
	case <-time.After(3500 * time.Millisecond): // the grace period of protocol §4.3, plus ticks
	case <-ctx.Done():
		t.Fatal(ctx.Err())
	}
	require.NoError(t, a.SetPrimaryStream(ctx, testStream(t, 1)))

	for {
		var found string
		for _, r := range w.conf.DistortionReports(bob.ID) {
			if strings.HasPrefix(r, "1:conference#video:") {
				found = r
			}
		}
		if found != "" {
			parts := strings.Split(found, ":")
			require.Len(t, parts, 4)
			assert.NotEqual(t, "0", parts[2])
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no distortion report; got %q", w.conf.DistortionReports(bob.ID))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// TestMediaRepublishOnTheSameConnection clears the primary stream and
// publishes it again on the same connection, whose encodings keep their
// SSRCs: the new tracks number and stamp their packets from their own
// random starts, and both kinds must reach the subscriber again. The pause
// is longer than the server's reader waits for a packet.
func TestMediaRepublishOnTheSameConnection(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	w := newWorld(t)
	alice := w.participant(t, "Alice", transport.RoleSpeaker)
	bob := w.participant(t, "Bob", transport.RoleSpeaker)
	a := w.joinMedia(t, alice, nil)
	b := w.joinMedia(t, bob, nil)
	sub, err := b.Receive(ctx, session.PrimaryStream(alice.ID), session.ReceiveOptions{
		Audio: media.NewCounter("audio/opus", nil),
		Video: media.NewCounter("video/VP8", nil),
	})
	require.NoError(t, err)
	stream := testStream(t, 1)
	require.NoError(t, a.SetPrimaryStream(ctx, stream))
	waitCounts(ctx, t, sub, 10, 10)
	require.NoError(t, a.SetPrimaryStream(ctx, nil))
	w.waitMedia(ctx, t, alice.ID, false, transport.MediaFlags{})
	select {
	case <-time.After(1200 * time.Millisecond): // a pause, not a wait for a state
	case <-ctx.Done():
		t.Fatal(ctx.Err())
	}
	au, v := sub.Counts()
	require.NoError(t, a.SetPrimaryStream(ctx, stream))
	waitCounts(ctx, t, sub, au.Frames+25, v.Frames+20)
}

func TestMediaReplaceStreamWithoutClearing(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	w := newWorld(t)
	alice := w.participant(t, "Alice", transport.RoleSpeaker)
	bob := w.participant(t, "Bob", transport.RoleSpeaker)
	a := w.joinMedia(t, alice, nil)
	b := w.joinMedia(t, bob, nil)
	require.NoError(t, a.SetPrimaryStream(ctx, testStream(t, 1)))
	w.waitMedia(ctx, t, alice.ID, false, transport.MediaFlags{Audio: true, Video: true})
	counter, _ := counterSink()
	sub, err := b.Receive(ctx, session.PrimaryStream(alice.ID), session.ReceiveOptions{Video: counter})
	require.NoError(t, err)
	waitCounts(ctx, t, sub, 0, 10)

	require.NoError(t, a.SetPrimaryStream(ctx, testStream(t, 2)))
	_, v := sub.Counts()
	waitCounts(ctx, t, sub, 0, v.Frames+30)
}

func TestMediaDataChannelClosedWithoutCodeIsAFailure(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	w := newWorld(t)
	alice := w.participant(t, "Alice", transport.RoleSpeaker)
	bob := w.participant(t, "Bob", transport.RoleSpeaker)
	a := w.joinMedia(t, alice, nil)
	events, _ := a.Subscribe()
	b := w.joinMedia(t, bob, nil)
	require.NoError(t, w.conf.WaitOnline(ctx, alice.ID, true))

	// An unreadable message is skipped.
	require.NoError(t, w.conf.SendRaw(alice.ID, "{not json"))

	require.NoError(t, w.conf.CloseDataChannel(alice.ID))
	waitFor(ctx, t, events, func(e event.Event) bool {
		sc, ok := e.(event.StateChanged)
		return ok && sc.State == transport.StateFailed
	})
	waitFor(ctx, t, events, func(e event.Event) bool {
		sc, ok := e.(event.StateChanged)
		return ok && sc.State == transport.StateNormal
	})
	require.NoError(t, w.conf.WaitOnline(ctx, alice.ID, true))

	// Notifications flow over the new data channel.
	require.NoError(t, b.SetMyName(ctx, "Robert"))
	waitFor(ctx, t, events, func(e event.Event) bool {
		n, ok := e.(event.ParticipantNameChanged)
		return ok && n.Participant.Name == "Robert"
	})
	assert.NoError(t, a.Err())
}
