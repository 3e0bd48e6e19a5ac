package session_test

import (
	"context"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindsdk/mindgo/media"
	"github.com/mindsdk/mindgo/session"
	"github.com/mindsdk/mindgo/transport"
	"github.com/mindsdk/mindgo/transport/rtc"
)

// loopbackOnly keeps pion on UDP over loopback, without mDNS.
func loopbackOnly(s *webrtc.SettingEngine) {
	s.SetIncludeLoopbackCandidate(true)
	s.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	s.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
}

// testEngine is shared by the media sessions of the tests.
var testEngine = sync.OnceValues(func() (*rtc.Engine, error) {
	return rtc.NewEngine(rtc.Config{IncludeLoopback: true, ConfigureSettingEngine: loopbackOnly})
})

func mediaOptions(t *testing.T) *session.Options {
	t.Helper()
	e, err := testEngine()
	require.NoError(t, err)
	return &session.Options{Media: session.MediaOptions{
		Engine: e, StatsInterval: 100 * time.Millisecond, ConnectTimeout: 10 * time.Second,
	}}
}

// joinMedia joins as p with media and closes the session at the end of
// the test.
func (w *world) joinMedia(t *testing.T, p transport.ParticipantWithToken, o *session.Options) *session.Session {
	t.Helper()
	if o == nil {
		o = mediaOptions(t)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()

	s, err := session.Join(ctx, w.conf.URI(), p.Token, fastRecovery(o))
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	// Join returns when the client's side of the data channel is open; the
	// server marks the participant online when its own side opens, a moment
	// later. A change made in between reaches the others as a participant
	// that joins already changed, which tests of change events must not
	// race with.
	require.NoError(t, w.conf.WaitOnline(ctx, p.ID, true))
	return s
}

// testStream is a looping VP8 test pattern (layers as given) with a tone.
func testStream(t *testing.T, layers int) *media.Stream {
	t.Helper()
	v, err := media.TestPattern(&media.Options{Loop: true})
	require.NoError(t, err)
	switch layers {
	case 1:
		v = media.SingleLayer(v.High)
	case 2:
		v.High = nil
	}
	tone, err := media.TestTone(&media.Options{Loop: true})
	require.NoError(t, err)
	return &media.Stream{Audio: tone, Video: v}
}

// waitMedia polls until the participant's media flags on the server are
// as wanted.
func (w *world) waitMedia(ctx context.Context, t *testing.T, pid string, secondary bool, want transport.MediaFlags) {
	t.Helper()
	for {
		p, ok := w.conf.Participant(pid)
		require.True(t, ok)
		got := p.Media
		if secondary {
			got = p.SecondaryMedia
		}
		if got == want {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("media flags of %s: got %+v, want %+v", pid, got, want)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// waitCounts polls until the subscription has received at least frames
// video frames and audio packets.
func waitCounts(ctx context.Context, t *testing.T, sub *session.Subscription, audio, video uint64) {
	t.Helper()
	for {
		a, v := sub.Counts()
		if a.Frames >= audio && v.Frames >= video {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("received audio %d video %d frames, want %d and %d", a.Frames, v.Frames, audio, video)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// recorders creates an IVF and an Ogg recorder in a temporary directory.
func recorders(t *testing.T) (ivfPath, oggPath string, ivf, ogg *media.Recorder) {
	t.Helper()
	dir := t.TempDir()
	ivfPath, oggPath = filepath.Join(dir, "video.ivf"), filepath.Join(dir, "audio.ogg")
	ivf, err := media.CreateIVF(ivfPath)
	require.NoError(t, err)
	ogg, err = media.CreateOgg(oggPath)
	require.NoError(t, err)
	return ivfPath, oggPath, ivf, ogg
}

func TestMediaPrimaryStreamIsRecorded(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	w := newWorld(t)
	alice := w.participant(t, "Alice", transport.RoleSpeaker)
	bob := w.participant(t, "Bob", transport.RoleSpeaker)

	a := w.joinMedia(t, alice, nil)
	b := w.joinMedia(t, bob, nil)
	require.NoError(t, w.conf.WaitOnline(ctx, alice.ID, true))

	require.NoError(t, a.SetPrimaryStream(ctx, testStream(t, 1)))
	w.waitMedia(ctx, t, alice.ID, false, transport.MediaFlags{Audio: true, Video: true})

	ivfPath, oggPath, ivf, ogg := recorders(t)
	sub, err := b.Receive(ctx, session.PrimaryStream(alice.ID), session.ReceiveOptions{Audio: ogg, Video: ivf})
	require.NoError(t, err)
	waitCounts(ctx, t, sub, 50, 30) // a second of audio, a second of video

	require.NoError(t, sub.Close())
	require.ErrorIs(t, sub.Err(), session.ErrClosed)

	vi, err := media.ReadIVFInfo(ivfPath)
	require.NoError(t, err)
	_, v := sub.Counts()
	assert.Equal(t, 640, vi.Width)
	assert.Equal(t, 360, vi.Height)
	assert.GreaterOrEqual(t, vi.Frames, int(v.Frames)*3/4, "most frames received are in the file")
	ai, err := media.ReadOggInfo(oggPath)
	require.NoError(t, err)
	assert.Greater(t, ai.Frames, 40)
}
