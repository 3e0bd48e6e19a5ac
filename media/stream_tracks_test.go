package media_test

import (
	"testing"

	"github.com/pion/webrtc/v4"
	"github.com/stretchr/testify/require"

	"github.com/mindsdk/mindgo/media"
)

func TestStreamWithPionTracks(t *testing.T) {
	audio, err := webrtc.NewTrackLocalStaticSample(media.OpusCodec(), "a", "s")
	require.NoError(t, err)
	video, err := webrtc.NewTrackLocalStaticSample(media.VP8Codec(), "v", "s")
	require.NoError(t, err)
	pattern, err := media.TestPattern(nil)
	require.NoError(t, err)

	ok := media.Stream{AudioTrack: audio, VideoTracks: []webrtc.TrackLocal{video}}
	require.NoError(t, ok.Validate())
	p, err := media.NewPlayer(ok, "me#primary")
	require.NoError(t, err)
	require.Equal(t, webrtc.TrackLocal(audio), p.AudioTrack())
	require.Equal(t, []webrtc.TrackLocal{video}, p.VideoTracks())
	require.NoError(t, p.Run(t.Context()), "the caller's tracks are not played")

	for name, s := range map[string]media.Stream{
		"video twice":          {Video: pattern, VideoTracks: []webrtc.TrackLocal{video}},
		"audio track is video": {AudioTrack: video},
		"video track is audio": {VideoTracks: []webrtc.TrackLocal{audio}},
		"nil video track":      {VideoTracks: []webrtc.TrackLocal{nil}},
		"four video tracks":    {VideoTracks: []webrtc.TrackLocal{video, video, video, video}},
	} {
		require.ErrorIs(t, s.Validate(), media.ErrInvalidArgument, name)
	}
}
