package media

import (
	"fmt"

	"github.com/pion/webrtc/v4"
)

// Layer is one simulcast layer of a [Video]: the RTP stream id it is sent
// with and the source that feeds it.
type Layer struct {
	// RID is [RIDLow], [RIDMid] or [RIDHigh].
	RID string
	// Source plays the layer's media.
	Source VideoSource
}

// Video is the video of a [Stream], sent as one to three simulcast layers
// (protocol §4.8). Low is always present and is the only layer of a
// single-layer video; Mid may follow, and High only after Mid, each at a
// larger size than the one before, all in the same codec. Layers come from
// separate pre-encoded sources: nothing here scales pictures.
//
// A publisher sends each layer as its own track (with pion,
// webrtc.NewTrackLocalStaticSample with webrtc.WithRTPStreamID(rid)) and
// runs each layer's Source into it.
type Video struct {
	// Low is sent with rid "l": the smallest picture.
	Low VideoSource
	// Mid is sent with rid "m"; nil for a single layer.
	Mid VideoSource
	// High is sent with rid "h"; nil for one or two layers.
	High VideoSource
}

// SingleLayer returns a [Video] that sends src as its only layer.
func SingleLayer(src VideoSource) *Video { return &Video{Low: src} }

// Layers returns the layers that are present, lowest first.
func (v *Video) Layers() []Layer {
	layers := make([]Layer, 0, 3)
	for _, l := range []Layer{{RIDLow, v.Low}, {RIDMid, v.Mid}, {RIDHigh, v.High}} {
		if l.Source != nil {
			layers = append(layers, l)
		}
	}

	return layers
}

// Codec returns the codec of the video, which all layers share; the zero
// value when Low is missing.
func (v *Video) Codec() webrtc.RTPCodecCapability {
	if v.Low == nil {
		return webrtc.RTPCodecCapability{}
	}

	return v.Low.Codec()
}

// Size returns the picture size of the largest layer, or zeros when it is
// unknown. It is the size W×H that simulcast planning starts from.
func (v *Video) Size() (width, height int) {
	layers := v.Layers()
	if len(layers) == 0 {
		return 0, 0
	}

	return layers[len(layers)-1].Source.Size()
}

// Validate checks the layer rules given on [Video].
func (v *Video) Validate() error {
	if v == nil || v.Low == nil {
		return fmt.Errorf("%w: video without a low layer", ErrInvalidArgument)
	}

	if v.High != nil && v.Mid == nil {
		return fmt.Errorf("%w: video with a high layer but no mid layer", ErrInvalidArgument)
	}

	layers := v.Layers()
	codec := layers[0].Source.Codec()
	prevArea := -1
	for _, l := range layers {
		if l.Source.Kind() != webrtc.RTPCodecTypeVideo {
			return fmt.Errorf("%w: layer %q is not video", ErrInvalidArgument, l.RID)
		}

		c := l.Source.Codec()
		if c.MimeType != codec.MimeType || c.SDPFmtpLine != codec.SDPFmtpLine {
			return fmt.Errorf("%w: layer %q is %s, layer %q is %s",
				ErrInvalidArgument, l.RID, c.MimeType, layers[0].RID, codec.MimeType)
		}

		w, h := l.Source.Size()
		if area := w * h; area != 0 && prevArea > 0 && area <= prevArea {
			return fmt.Errorf("%w: layer %q (%dx%d) is not larger than the layer below",
				ErrInvalidArgument, l.RID, w, h)
		} else if area != 0 {
			prevArea = area
		}
	}

	return nil
}

// Stream is what a participant publishes as its primary or secondary
// stream (protocol §8.2): at most one audio track and one video, either of
// which may be absent. A Stream with neither publishes nothing.
//
// Audio and video come either from sources of this package, which a
// [Player] paces into tracks, or from pion tracks that the caller creates
// and writes itself (AudioTrack, VideoTracks): any webrtc.TrackLocal, for
// example a *webrtc.TrackLocalStaticRTP fed by another pipeline. Give at
// most one of each pair.
type Stream struct {
	// Audio is the audio source, or nil.
	Audio Source
	// Video is the video, or nil.
	Video *Video
	// AudioTrack is a pion audio track published as it is, or nil. The
	// caller writes its media; the codec must be Opus.
	AudioTrack webrtc.TrackLocal
	// VideoTracks are pion video tracks published as they are: one track,
	// or up to three simulcast layers lowest first (tracks with rids l, m,
	// h, or without rids, taken in that order). The caller writes their
	// media; the codec must be VP8 or H.264 (42e01f).
	VideoTracks []webrtc.TrackLocal
}

// Validate checks that Audio is audio, that Video follows the rules of
// [Video.Validate], that the pion tracks are of the right kinds and that
// no kind is given twice.
func (s *Stream) Validate() error {
	if s.Audio != nil && s.AudioTrack != nil {
		return fmt.Errorf("%w: stream has both an audio source and an audio track", ErrInvalidArgument)
	}
	if s.Video != nil && len(s.VideoTracks) > 0 {
		return fmt.Errorf("%w: stream has both a video and video tracks", ErrInvalidArgument)
	}
	if s.AudioTrack != nil && s.AudioTrack.Kind() != webrtc.RTPCodecTypeAudio {
		return fmt.Errorf("%w: stream audio track is %s", ErrInvalidArgument, s.AudioTrack.Kind())
	}
	if len(s.VideoTracks) > 3 {
		return fmt.Errorf("%w: %d video tracks, at most 3", ErrInvalidArgument, len(s.VideoTracks))
	}
	for i, t := range s.VideoTracks {
		if t == nil || t.Kind() != webrtc.RTPCodecTypeVideo {
			return fmt.Errorf("%w: stream video track %d is not video", ErrInvalidArgument, i)
		}
	}
	if s.Audio != nil && s.Audio.Kind() != webrtc.RTPCodecTypeAudio {
		return fmt.Errorf("%w: stream audio source is %s", ErrInvalidArgument, s.Audio.Kind())
	}

	if s.Video != nil {
		return s.Video.Validate()
	}

	return nil
}
