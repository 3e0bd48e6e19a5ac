package media

import (
	"context"
	"errors"
	"testing"

	"github.com/pion/webrtc/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTestPattern(t *testing.T) {
	t.Parallel()

	video, err := TestPattern(nil)
	require.NoError(t, err)
	require.NoError(t, video.Validate())

	var rids []string
	var sizes [][2]int
	for _, l := range video.Layers() {
		rids = append(rids, l.RID)
		w, h := l.Source.Size()
		sizes = append(sizes, [2]int{w, h})
		assert.Equal(t, 60, l.Source.(*Clip).Info().Frames, l.RID)
	}

	assert.Equal(t, []string{RIDLow, RIDMid, RIDHigh}, rids)
	assert.Equal(t, [][2]int{{160, 90}, {320, 180}, {640, 360}}, sizes)
	assert.Equal(t, webrtc.MimeTypeVP8, video.Codec().MimeType)

	w, h := video.Size()
	assert.Equal(t, [2]int{640, 360}, [2]int{w, h})

	tone, err := TestTone(&Options{Loop: true})
	require.NoError(t, err)
	assert.Equal(t, webrtc.RTPCodecTypeAudio, tone.Kind())
	assert.True(t, tone.opts.Loop)

	stream := Stream{Audio: tone, Video: video}
	require.NoError(t, stream.Validate())
}

func TestVideoValidate(t *testing.T) {
	t.Parallel()

	layers, err := TestPattern(nil)
	require.NoError(t, err)
	low, mid, high := layers.Low, layers.Mid, layers.High
	h264, err := OpenH264(testFile("video-640x360.h264"), nil)
	require.NoError(t, err)

	tests := []struct {
		name  string
		video *Video
		valid bool
	}{
		{"single layer", SingleLayer(high), true},
		{"two layers", &Video{Low: low, Mid: high}, true},
		{"three layers", &Video{Low: low, Mid: mid, High: high}, true},
		{"nil video", nil, false},
		{"no low layer", &Video{Mid: mid}, false},
		{"high without mid", &Video{Low: low, High: high}, false},
		{"layers not growing", &Video{Low: high, Mid: low}, false},
		{"equal layers", &Video{Low: low, Mid: low}, false},
		{"mixed codecs", &Video{Low: low, Mid: h264}, false},
		{"audio as video", &Video{Low: audioAsVideo{Silence(nil)}}, false},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			err := tt.video.Validate()
			if tt.valid {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, ErrInvalidArgument)
			}
		})
	}

	empty := &Video{}
	assert.Empty(t, empty.Layers())
	w, h := empty.Size()
	assert.Zero(t, w+h)
	assert.Empty(t, empty.Codec().MimeType)
}

// audioAsVideo claims to be a VideoSource while playing audio.
type audioAsVideo struct{ *Clip }

func TestStreamValidate(t *testing.T) {
	t.Parallel()

	pattern, err := TestPattern(nil)
	require.NoError(t, err)

	assert.NoError(t, (&Stream{}).Validate(), "an empty stream publishes nothing")
	assert.NoError(t, (&Stream{Audio: Silence(nil)}).Validate())
	assert.ErrorIs(t, (&Stream{Audio: pattern.Low}).Validate(), ErrInvalidArgument)
	assert.ErrorIs(t, (&Stream{Video: &Video{}}).Validate(), ErrInvalidArgument)
}

func TestPlayer(t *testing.T) {
	t.Parallel()

	pattern, err := TestPattern(nil)
	require.NoError(t, err)

	p, err := NewPlayer(Stream{Audio: Silence(nil), Video: pattern}, "me#primary")
	require.NoError(t, err)
	require.NotNil(t, p.AudioTrack())
	assert.Equal(t, "me#primary", p.AudioTrack().StreamID())

	var rids []string
	for _, track := range p.VideoTracks() {
		rids = append(rids, track.RID())
		assert.Equal(t, webrtc.RTPCodecTypeVideo, track.Kind())
	}
	assert.Equal(t, []string{RIDLow, RIDMid, RIDHigh}, rids)

	// Unbound tracks drop samples; a cancelled context stops every source.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	require.ErrorIs(t, p.Run(ctx), context.Canceled)

	empty, err := NewPlayer(Stream{}, "me#secondary")
	require.NoError(t, err)
	assert.Nil(t, empty.AudioTrack())
	assert.Empty(t, empty.VideoTracks())
	require.NoError(t, empty.Run(t.Context()))

	_, err = NewPlayer(Stream{Video: &Video{}}, "me#primary")
	require.ErrorIs(t, err, ErrInvalidArgument)

	// Sources that end let Run return nil; a failing source stops the rest.
	fast := &Options{Pace: PaceNone}
	done, err := NewPlayer(Stream{Audio: Silence(fast)}, "me#primary")
	require.NoError(t, err)
	require.NoError(t, done.Run(t.Context()))

	errBroken := errors.New("broken source")
	looping := pattern.Low.(*Clip).WithOptions(&Options{Loop: true})
	failing, err := NewPlayer(Stream{Audio: failingSource{errBroken}, Video: SingleLayer(looping)}, "x")
	require.NoError(t, err)
	require.ErrorIs(t, failing.Run(t.Context()), errBroken)
}

// failingSource is an audio source whose Run fails at once.
type failingSource struct{ err error }

func (f failingSource) Codec() webrtc.RTPCodecCapability        { return OpusCodec() }
func (f failingSource) Kind() webrtc.RTPCodecType               { return webrtc.RTPCodecTypeAudio }
func (f failingSource) Run(context.Context, SampleWriter) error { return f.err }
