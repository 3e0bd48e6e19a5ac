package media

import (
	"context"
	"fmt"

	"github.com/pion/webrtc/v4"
	"golang.org/x/sync/errgroup"
)

// Player plays a [Stream] into pion tracks (the caller's own tracks of a
// Stream are handed out as they are, and Run leaves them alone): one
// *webrtc.TrackLocalStaticSample for the audio source and one per video
// layer, each video track tagged with its layer's rid. A publisher hands
// the tracks to its peer connection and calls Run; samples written while a
// track is not bound to a connection are dropped by pion, so Run may start
// before negotiation ends.
//
// Simulcast needs every packet of a layer to carry the sdes:mid and
// sdes:rtp-stream-id header extensions. Pion (v4.2.26) does not add them
// for these tracks: the peer connection that sends them must.
type Player struct {
	stream Stream
	audio  *webrtc.TrackLocalStaticSample
	video  []*webrtc.TrackLocalStaticSample
}

// NewPlayer validates s and creates its tracks. streamID is the media
// stream id of the tracks, such as "me#primary" (protocol §4.13).
func NewPlayer(s Stream, streamID string) (*Player, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}

	p := &Player{stream: s}
	if s.Audio != nil {
		track, err := webrtc.NewTrackLocalStaticSample(s.Audio.Codec(), "audio", streamID)
		if err != nil {
			return nil, fmt.Errorf("media: audio track: %w", err)
		}
		p.audio = track
	}

	if s.Video != nil {
		for _, layer := range s.Video.Layers() {
			track, err := webrtc.NewTrackLocalStaticSample(layer.Source.Codec(), "video", streamID,
				webrtc.WithRTPStreamID(layer.RID))
			if err != nil {
				return nil, fmt.Errorf("media: video track %s: %w", layer.RID, err)
			}
			p.video = append(p.video, track)
		}
	}

	return p, nil
}

// AudioTrack returns the audio track (the stream's own AudioTrack when it
// has one), or nil when the stream has no audio.
func (p *Player) AudioTrack() webrtc.TrackLocal {
	if p.stream.AudioTrack != nil {
		return p.stream.AudioTrack
	}
	if p.audio == nil {
		return nil
	}

	return p.audio
}

// VideoTracks returns the video tracks (the stream's own VideoTracks when
// it has them), lowest layer first; none when the stream has no video.
func (p *Player) VideoTracks() []webrtc.TrackLocal {
	if len(p.stream.VideoTracks) > 0 {
		return append([]webrtc.TrackLocal(nil), p.stream.VideoTracks...)
	}
	tracks := make([]webrtc.TrackLocal, len(p.video))
	for i, t := range p.video {
		tracks[i] = t
	}

	return tracks
}

// Run plays every source of the stream into its track, all at once, until
// they all end (nil), one fails (its error, after stopping the others) or
// ctx ends (ctx.Err()). Every goroutine it starts has ended when it
// returns.
func (p *Player) Run(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	if p.audio != nil {
		g.Go(func() error { return p.stream.Audio.Run(ctx, p.audio) })
	}

	if p.stream.Video != nil {
		for i, layer := range p.stream.Video.Layers() {
			g.Go(func() error { return layer.Source.Run(ctx, p.video[i]) })
		}
	}

	return g.Wait()
}
