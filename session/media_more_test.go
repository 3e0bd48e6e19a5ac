package session_test

import (
	"context"
	"encoding/binary"
	"errors"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindsdk/mindgo/event"
	"github.com/mindsdk/mindgo/media"
	"github.com/mindsdk/mindgo/session"
	"github.com/mindsdk/mindgo/transport"
)

func TestMediaSecondaryAndConferenceStreams(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	w := newWorld(t)
	alice := w.participant(t, "Alice", transport.RolePresenter)
	bob := w.participant(t, "Bob", transport.RoleAttendee)

	a := w.joinMedia(t, alice, nil)
	b := w.joinMedia(t, bob, nil)

	require.NoError(t, a.SetPrimaryStream(ctx, testStream(t, 1)))
	require.NoError(t, a.SetSecondaryStream(ctx, testStream(t, 2)))
	w.waitMedia(ctx, t, alice.ID, true, transport.MediaFlags{Audio: true, Video: true})

	secIVF, secOgg, sivf, sogg := recorders(t)
	sec, err := b.Receive(ctx, session.SecondaryStream(alice.ID), session.ReceiveOptions{Audio: sogg, Video: sivf})
	require.NoError(t, err)
	confIVF, confOgg, civf, cogg := recorders(t)
	conf, err := b.Receive(ctx, session.ConferenceStream(), session.ReceiveOptions{Audio: cogg, Video: civf})
	require.NoError(t, err)

	waitCounts(ctx, t, sec, 40, 25)
	waitCounts(ctx, t, conf, 40, 25)
	require.NoError(t, b.Close())

	// The session closed the sinks: the files are complete.
	for _, sub := range []*session.Subscription{sec, conf} {
		select {
		case <-sub.Done():
		default:
			t.Fatal("subscription not ended by Close")
		}
		assert.ErrorIs(t, sub.Err(), session.ErrClosed)
	}
	vi, err := media.ReadIVFInfo(secIVF)
	require.NoError(t, err)
	assert.Equal(t, 320, vi.Width, "the secondary stream sends two layers, the top one is 320x180")
	_, v := sec.Counts()
	assert.GreaterOrEqual(t, vi.Frames, int(v.Frames)*3/4)
	_, err = media.ReadOggInfo(secOgg)
	require.NoError(t, err)

	ci, err := media.ReadIVFInfo(confIVF)
	require.NoError(t, err)
	assert.Equal(t, 640, ci.Width, "the conference stream forwards the presenter's primary video")
	ai, err := media.ReadOggInfo(confOgg)
	require.NoError(t, err)
	assert.Greater(t, ai.Frames, 30)
}

func TestMediaReceiveLimitSelectsALowerLayer(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	w := newWorld(t)
	alice := w.participant(t, "Alice", transport.RoleSpeaker)
	bob := w.participant(t, "Bob", transport.RoleSpeaker)
	a := w.joinMedia(t, alice, nil)
	b := w.joinMedia(t, bob, nil)

	require.NoError(t, a.SetPrimaryStream(ctx, testStream(t, 3)))
	w.waitMedia(ctx, t, alice.ID, false, transport.MediaFlags{Audio: true, Video: true})

	// The server learns each layer's size from its keyframes (one a
	// second); until then it forwards the lowest layer.
	full := &keyframeSizes{}
	sub0, err := b.Receive(ctx, session.PrimaryStream(alice.ID), session.ReceiveOptions{Video: full})
	require.NoError(t, err)
	full.wait(ctx, t, 640)

	// A new section (sub0 keeps its own) starts on the layer that fits.
	path, _, ivf, _ := recorders(t)
	sub, err := b.Receive(ctx, session.PrimaryStream(alice.ID), session.ReceiveOptions{
		Video: ivf, Limits: session.Limits{MaxFrameArea: 320 * 180},
	})
	require.NoError(t, err)
	waitCounts(ctx, t, sub, 0, 30)
	require.NoError(t, sub.Close())
	require.NoError(t, sub0.Close())
	info, err := media.ReadIVFInfo(path)
	require.NoError(t, err)
	assert.Equal(t, 320, info.Width)
	assert.Equal(t, 180, info.Height)

	// Lifting the limit of a live subscription moves it to the top layer.
	sizes := &keyframeSizes{}
	sub2, err := b.Receive(ctx, session.PrimaryStream(alice.ID), session.ReceiveOptions{
		Video: sizes, Limits: session.Limits{MaxFrameArea: 160 * 90},
	})
	require.NoError(t, err)
	sizes.wait(ctx, t, 160)
	require.NoError(t, sub2.SetLimits(ctx, session.Limits{}))
	sizes.wait(ctx, t, 640)
	require.NoError(t, sub2.Close())
}

// keyframeSizes is a sink that records the widths of the VP8 keyframes it
// sees.
type keyframeSizes struct {
	mu     sync.Mutex
	widths map[int]bool
}

func (k *keyframeSizes) WriteRTP(p *rtp.Packet) error {
	var vp8 codecs.VP8Packet
	payload, err := vp8.Unmarshal(p.Payload)
	if err != nil || vp8.S != 1 || vp8.PID != 0 || len(payload) < 10 {
		return nil //nolint:nilerr // not the start of a frame
	}
	if payload[0]&1 != 0 || payload[3] != 0x9d || payload[4] != 0x01 || payload[5] != 0x2a {
		return nil // not a keyframe
	}
	width := int(binary.LittleEndian.Uint16(payload[6:8]) & 0x3fff)
	k.mu.Lock()
	if k.widths == nil {
		k.widths = map[int]bool{}
	}
	k.widths[width] = true
	k.mu.Unlock()
	return nil
}

func (k *keyframeSizes) Close() error { return nil }

func (k *keyframeSizes) wait(ctx context.Context, t *testing.T, width int) {
	t.Helper()
	for {
		k.mu.Lock()
		ok := k.widths[width]
		k.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no keyframe %d pixels wide", width)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func TestMediaRapidChangesEndInTheRightState(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	w := newWorld(t)
	alice := w.participant(t, "Alice", transport.RoleSpeaker)
	bob := w.participant(t, "Bob", transport.RoleSpeaker)
	a := w.joinMedia(t, alice, nil)
	b := w.joinMedia(t, bob, nil)
	events, _ := b.Subscribe()
	aEvents, _ := a.Subscribe()

	stream := testStream(t, 1)
	var subs []*session.Subscription
	for i := range 20 {
		switch i % 4 {
		case 0:
			require.NoError(t, a.SetPrimaryStream(ctx, stream))
		case 1:
			sub, err := b.Receive(ctx, session.PrimaryStream(alice.ID), session.ReceiveOptions{Video: media.NewCounter("video/VP8", nil)})
			require.NoError(t, err)
			subs = append(subs, sub)
		case 2:
			require.NoError(t, a.SetPrimaryStream(ctx, nil))
		case 3:
			require.NoError(t, subs[0].Close())
			subs = subs[1:]
		}
	}
	// Final state: alice publishes, bob keeps one subscription.
	require.Empty(t, subs)
	require.NoError(t, a.SetPrimaryStream(ctx, stream))
	final, err := b.Receive(ctx, session.PrimaryStream(alice.ID), session.ReceiveOptions{Video: media.NewCounter("video/VP8", nil)})
	require.NoError(t, err)
	w.waitMedia(ctx, t, alice.ID, false, transport.MediaFlags{Audio: true, Video: true})
	// Bob's offers settle on exactly one receive section for the stream.
	// (Frames after publishing again on the same connection are checked by
	// TestMediaRepublishOnTheSameConnection.)
	label := "a=msid:" + alice.ID + "#primary "
	require.Eventually(t, func() bool {
		log := w.conf.SDPLog(bob.ID)
		last := log[len(log)-1]
		return last.Answer != "" && strings.Count(last.Offer, label) == 1
	}, 10*time.Second, 20*time.Millisecond)

	assert.Equal(t, transport.StateNormal, a.State())
	assert.Equal(t, transport.StateNormal, b.State())
	assert.NoError(t, final.Err())
	for _, ch := range []<-chan event.Event{events, aEvents} {
	loop:
		for {
			select {
			case e := <-ch:
				if sc, ok := e.(event.StateChanged); ok {
					t.Fatalf("state changed to %s during the changes", sc.State)
				}
			default:
				break loop
			}
		}
	}
	// Every offer was answered.
	for _, x := range w.conf.SDPLog(alice.ID) {
		assert.NotEmpty(t, x.Answer)
	}
	for _, x := range w.conf.SDPLog(bob.ID) {
		assert.NotEmpty(t, x.Answer)
	}
}

func TestMediaResumesAfterTheConnectionDrops(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	w := newWorld(t)
	alice := w.participant(t, "Alice", transport.RoleSpeaker)
	bob := w.participant(t, "Bob", transport.RoleSpeaker)
	a := w.joinMedia(t, alice, nil)
	b := w.joinMedia(t, bob, nil)
	events, _ := b.Subscribe()

	require.NoError(t, a.SetPrimaryStream(ctx, testStream(t, 1)))
	w.waitMedia(ctx, t, alice.ID, false, transport.MediaFlags{Audio: true, Video: true})
	path, _, ivf, _ := recorders(t)
	sub, err := b.Receive(ctx, session.PrimaryStream(alice.ID), session.ReceiveOptions{Video: ivf})
	require.NoError(t, err)
	waitCounts(ctx, t, sub, 0, 15)
	statsBefore := waitStats(ctx, t, sub)

	w.conf.DropTransport(bob.ID)
	waitFor(ctx, t, events, func(e event.Event) bool {
		sc, ok := e.(event.StateChanged)
		return ok && sc.State == transport.StateFailed
	})
	waitFor(ctx, t, events, func(e event.Event) bool {
		sc, ok := e.(event.StateChanged)
		return ok && sc.State == transport.StateNormal
	})
	require.NoError(t, w.conf.WaitOnline(ctx, bob.ID, true))

	// Same subscription, same sink: frames keep coming.
	_, v := sub.Counts()
	waitCounts(ctx, t, sub, 0, v.Frames+30)
	assert.NoError(t, sub.Err())
	after := waitStats(ctx, t, sub)
	assert.Less(t, after.Video.Bitrate, 10*max(statsBefore.Video.Bitrate, 100_000),
		"figures after the rebuild come from a fresh baseline")
	require.NoError(t, sub.Close())
	info, err := media.ReadIVFInfo(path)
	require.NoError(t, err)
	// At least 30 frames arrived after the rebuild and more before it; a
	// loaded machine may lose a few packets, and the recorder skips the
	// frames they damaged.
	assert.GreaterOrEqual(t, info.Frames, 30)
}

// waitStats waits for plausible received video figures.
func waitStats(ctx context.Context, t *testing.T, sub *session.Subscription) event.StreamStatistics {
	t.Helper()
	for {
		st := sub.Statistics()
		if st.Video.Bitrate > 0 && st.Video.Rate > 0 {
			return st
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no statistics: %+v", st)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func TestMediaStatistics(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	w := newWorld(t)
	alice := w.participant(t, "Alice", transport.RoleSpeaker)
	bob := w.participant(t, "Bob", transport.RoleSpeaker)
	a := w.joinMedia(t, alice, nil)
	b := w.joinMedia(t, bob, nil)
	events, _ := b.Subscribe()

	require.NoError(t, a.SetPrimaryStream(ctx, testStream(t, 1)))
	w.waitMedia(ctx, t, alice.ID, false, transport.MediaFlags{Audio: true, Video: true})
	sub, err := b.Receive(ctx, session.PrimaryStream(alice.ID), session.ReceiveOptions{
		Audio: media.NewCounter("audio/opus", nil), Video: media.NewCounter("video/VP8", nil),
	})
	require.NoError(t, err)
	waitCounts(ctx, t, sub, 50, 30)

	// A tick reports the stream with plausible figures.
	var got event.StreamStatistics
	e := waitFor(ctx, t, events, func(e event.Event) bool {
		su, ok := e.(event.StatisticsUpdated)
		if !ok {
			return false
		}
		for _, st := range su.Streams {
			// The first tick of a new subscription covers only part of a
			// second of media (the receiver starts on a keyframe): wait for
			// a tick of steady flow.
			if st.Label == alice.ID+"#primary" && st.Video.Rate >= 15 && st.Audio.Rate >= 30000 && st.Video.Width > 0 {
				got = st
				return true
			}
		}
		return false
	}).(event.StatisticsUpdated)
	assert.Equal(t, "udp", e.Session.Protocol)
	assert.Equal(t, "127.0.0.1", e.Session.RemoteAddress)
	assert.NotZero(t, e.Session.LocalPort)
	now := b.Statistics()
	assert.Equal(t, e.Session.LocalPort, now.LocalPort)
	assert.Equal(t, e.Session.RemotePort, now.RemotePort)
	assert.InDelta(t, 30, got.Video.Rate, 20, "the pattern runs at 30 fps")
	assert.Equal(t, 640, got.Video.Width)
	assert.Equal(t, 360, got.Video.Height)
	assert.InDelta(t, 48000, got.Audio.Rate, 20000)
	assert.Greater(t, got.Video.Bitrate, 10_000)
	assert.Less(t, got.Video.Bitrate, 5_000_000)
	assert.GreaterOrEqual(t, got.Video.RTT, 1)

	pub, ok := a.PublicationStatistics(false)
	require.True(t, ok)
	assert.Equal(t, "me#primary", pub.Label)
	_, ok = a.PublicationStatistics(true)
	assert.False(t, ok)
	require.Eventually(t, func() bool {
		p, _ := a.PublicationStatistics(false)
		return p.Video.Bitrate > 0 && p.Audio.Bitrate > 0 && p.Video.Width == 640 &&
			p.Video.Rate > 10 && p.Audio.Rate > 30000
	}, 5*time.Second, 20*time.Millisecond)

	require.NoError(t, b.Close())
	assert.Equal(t, "none", b.Statistics().Protocol, "closed sessions report no transport")
}

func TestMediaLaggingWhileAnOfferIsLate(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	w := newWorld(t)
	alice := w.participant(t, "Alice", transport.RoleSpeaker)
	o := mediaOptions(t)
	o.Media.SDPTimeout = 300 * time.Millisecond
	a := w.joinMedia(t, alice, o)
	events, _ := a.Subscribe()

	isOffer := func(r *http.Request) bool { return r.Method == http.MethodPost && r.URL.Path == w.uriPath() }
	w.srv.DelayNext(1, time.Second, isOffer)
	require.NoError(t, a.SetPrimaryStream(ctx, testStream(t, 1)))

	waitFor(ctx, t, events, func(e event.Event) bool {
		sc, ok := e.(event.StateChanged)
		return ok && sc.State == transport.StateLagging
	})
	waitFor(ctx, t, events, func(e event.Event) bool {
		sc, ok := e.(event.StateChanged)
		return ok && sc.State == transport.StateNormal
	})
	w.waitMedia(ctx, t, alice.ID, false, transport.MediaFlags{Audio: true, Video: true})
}

func TestMediaCloseCodesOverTheDataChannel(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	w := newWorld(t)
	alice := w.participant(t, "Alice", transport.RoleSpeaker)
	bob := w.participant(t, "Bob", transport.RoleSpeaker)
	a := w.joinMedia(t, alice, nil)
	b := w.joinMedia(t, bob, nil)
	events, _ := a.Subscribe()

	// Notifications arrive over the data channel.
	require.NoError(t, b.SetMyName(ctx, "Robert"))
	waitFor(ctx, t, events, func(e event.Event) bool {
		n, ok := e.(event.ParticipantNameChanged)
		return ok && n.Participant.Name == "Robert"
	})

	_, v := counterSink()
	sub, err := a.Receive(ctx, session.ConferenceStream(), session.ReceiveOptions{Video: v})
	require.NoError(t, err)
	require.NoError(t, w.conf.Expel(alice.ID))
	waitFor(ctx, t, events, func(e event.Event) bool { _, ok := e.(event.MeExpelled); return ok })
	<-a.Done()
	assert.ErrorIs(t, a.Err(), session.ErrExpelled)
	<-sub.Done()
	assert.ErrorIs(t, sub.Err(), session.ErrExpelled)
	assert.True(t, v.closed(), "the session closed the sink")

	require.NoError(t, w.conf.End())
	<-b.Done()
	assert.ErrorIs(t, b.Err(), session.ErrConferenceEnded)
}

func TestMediaCallsOnASignallingOnlySession(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	w := newWorld(t)
	s := w.join(t, w.participant(t, "Alice", transport.RoleSpeaker), nil)

	require.ErrorIs(t, s.SetPrimaryStream(ctx, testStream(t, 1)), session.ErrSignallingOnly)
	_, err := s.Receive(ctx, session.ConferenceStream(), session.ReceiveOptions{Video: media.NewCounter("video/VP8", nil)})
	require.ErrorIs(t, err, session.ErrSignallingOnly)
	_, err = s.Receive(ctx, session.ConferenceStream(), session.ReceiveOptions{})
	require.ErrorIs(t, err, session.ErrInvalidValue)
	_, err = s.Receive(ctx, session.PrimaryStream("Bob"), session.ReceiveOptions{Video: media.NewCounter("video/VP8", nil)})
	require.ErrorIs(t, err, session.ErrInvalidValue)
	assert.Equal(t, "none", s.Statistics().Protocol)
}

func TestMediaCloseWhileMediaFlowsIsPrompt(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	w := newWorld(t)
	alice := w.participant(t, "Alice", transport.RoleSpeaker)
	bob := w.participant(t, "Bob", transport.RoleSpeaker)
	a := w.joinMedia(t, alice, nil)
	b := w.joinMedia(t, bob, nil)
	require.NoError(t, a.SetPrimaryStream(ctx, testStream(t, 1)))
	require.NoError(t, b.SetPrimaryStream(ctx, testStream(t, 1)))
	w.waitMedia(ctx, t, alice.ID, false, transport.MediaFlags{Audio: true, Video: true})
	sub, err := b.Receive(ctx, session.PrimaryStream(alice.ID), session.ReceiveOptions{Video: media.NewCounter("video/VP8", nil)})
	require.NoError(t, err)
	waitCounts(ctx, t, sub, 0, 10)

	done := make(chan error, 2)
	go func() { done <- a.Close() }()
	go func() { done <- b.Close() }()
	for range 2 {
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(5 * time.Second):
			buf := make([]byte, 1<<20)
			t.Fatalf("Close hangs:\n%s", buf[:runtime.Stack(buf, true)])
		}
	}
	<-sub.Done()
	require.NoError(t, w.conf.WaitOnline(ctx, alice.ID, false))
}

func TestMediaJoinFailureLeavesNothing(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	w := newWorld(t)
	alice := w.participant(t, "Alice", transport.RoleSpeaker)

	w.srv.FailNext(1, http.StatusConflict, func(r *http.Request) bool { return r.Method == http.MethodPost })
	_, err := session.Join(ctx, w.conf.URI(), alice.Token, mediaOptions(t))
	var se *session.StatusError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, http.StatusConflict, se.Code)
	assert.False(t, w.conf.Online(alice.ID))

	// An answer that comes too late for the connect timeout.
	o := mediaOptions(t)
	o.Media.ConnectTimeout = 300 * time.Millisecond
	w.srv.DelayNext(1, 2*time.Second, func(r *http.Request) bool { return r.Method == http.MethodPost })
	start := time.Now()
	_, err = session.Join(ctx, w.conf.URI(), alice.Token, o)
	require.ErrorIs(t, err, session.ErrConnectTimeout)
	assert.Less(t, time.Since(start), 1900*time.Millisecond)
	assert.False(t, w.conf.Online(alice.ID))

	_, err = session.Join(ctx, w.conf.URI(), "wrong-token", mediaOptions(t))
	require.ErrorIs(t, err, session.ErrUnauthorized)
	require.False(t, errors.Is(err, context.DeadlineExceeded))
}

// closeSink is a sink that remembers being closed.
type closeSink struct {
	once sync.Once
	done chan struct{}
}

func counterSink() (*media.Counter, *closeSink) {
	s := &closeSink{done: make(chan struct{})}
	return media.NewCounter("video/VP8", s), s
}

func (c *closeSink) WriteRTP(*rtp.Packet) error { return nil }
func (c *closeSink) Close() error {
	c.once.Do(func() { close(c.done) })
	return nil
}

// uriPath is the path of the conference root, where offers are posted.
func (w *world) uriPath() string {
	u, err := url.Parse(w.conf.URI())
	if err != nil {
		panic(err)
	}
	return strings.TrimSuffix(u.Path, "/") + "/"
}
func (c *closeSink) closed() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}
