package session_test

import (
	"context"
	"testing"

	"github.com/pion/webrtc/v4"
	"github.com/stretchr/testify/require"

	"github.com/mindsdk/mindgo/media"
	"github.com/mindsdk/mindgo/session"
	"github.com/mindsdk/mindgo/transport"
)

// TestMediaPublishesTheCallersOwnPionTracks publishes pion tracks that the
// test creates and writes itself, not sources the session plays.
func TestMediaPublishesTheCallersOwnPionTracks(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	w := newWorld(t)
	alice := w.participant(t, "Alice", transport.RoleSpeaker)
	bob := w.participant(t, "Bob", transport.RoleSpeaker)
	a := w.joinMedia(t, alice, nil)
	b := w.joinMedia(t, bob, nil)

	video, err := media.TestPattern(&media.Options{Loop: true})
	require.NoError(t, err)
	tone, err := media.TestTone(&media.Options{Loop: true})
	require.NoError(t, err)
	videoTrack, err := webrtc.NewTrackLocalStaticSample(video.High.Codec(), "video", "mine")
	require.NoError(t, err)
	audioTrack, err := webrtc.NewTrackLocalStaticSample(tone.Codec(), "audio", "mine")
	require.NoError(t, err)

	bad := &media.Stream{Audio: tone, AudioTrack: audioTrack}
	require.ErrorIs(t, a.SetPrimaryStream(ctx, bad), media.ErrInvalidArgument)

	counter, _ := counterSink()
	audioCounter, _ := counterSink()
	sub, err := b.Receive(ctx, session.PrimaryStream(alice.ID),
		session.ReceiveOptions{Audio: audioCounter, Video: counter})
	require.NoError(t, err)
	require.NoError(t, a.SetPrimaryStream(ctx, &media.Stream{
		AudioTrack:  audioTrack,
		VideoTracks: []webrtc.TrackLocal{videoTrack},
	}))

	// The caller feeds its tracks.
	feed, stop := context.WithCancel(ctx)
	done := make(chan error, 2)
	go func() { done <- video.High.Run(feed, videoTrack) }()
	go func() { done <- tone.Run(feed, audioTrack) }()

	waitCounts(ctx, t, sub, 10, 10)
	require.NoError(t, a.Close())
	require.NoError(t, b.Close())
	stop()
	for range 2 {
		require.ErrorIs(t, <-done, context.Canceled)
	}
}
