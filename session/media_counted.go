package session

import (
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/mindsdk/mindgo/media"
)

// countedTrack passes a published track through unchanged and counts what
// it writes to the connection (packets, bytes, frames and Opus samples),
// which pion does not count for sent media (protocol §6.7).
type countedTrack struct {
	webrtc.TrackLocal
	counter *media.Counter
}

func newCountedTrack(t webrtc.TrackLocal) *countedTrack {
	mime := webrtc.MimeTypeVP8 // any video type: frames are counted on timestamp changes
	if t.Kind() == webrtc.RTPCodecTypeAudio {
		mime = webrtc.MimeTypeOpus
	}
	return &countedTrack{TrackLocal: t, counter: media.NewCounter(mime, nil)}
}

// Bind binds the track with a context whose writer counts.
func (t *countedTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	return t.TrackLocal.Bind(countedContext{TrackLocalContext: ctx, counter: t.counter})
}

// Unbind unbinds the track; the wrapped context has the same ID.
func (t *countedTrack) Unbind(ctx webrtc.TrackLocalContext) error {
	return t.TrackLocal.Unbind(countedContext{TrackLocalContext: ctx, counter: t.counter})
}

type countedContext struct {
	webrtc.TrackLocalContext
	counter *media.Counter
}

func (c countedContext) WriteStream() webrtc.TrackLocalWriter {
	return countedWriter{next: c.TrackLocalContext.WriteStream(), counter: c.counter}
}

type countedWriter struct {
	next    webrtc.TrackLocalWriter
	counter *media.Counter
}

func (w countedWriter) WriteRTP(header *rtp.Header, payload []byte) (int, error) {
	n, err := w.next.WriteRTP(header, payload)
	if err == nil {
		_ = w.counter.WriteRTP(&rtp.Packet{Header: *header, Payload: payload})
	}
	return n, err
}

func (w countedWriter) Write(b []byte) (int, error) {
	n, err := w.next.Write(b)
	if err == nil {
		var p rtp.Packet
		if p.Unmarshal(b) == nil {
			_ = w.counter.WriteRTP(&p)
		}
	}
	return n, err
}

// publishedTracks wraps a player's tracks for counting.
func publishedTracks(player *media.Player) (audio *countedTrack, video []*countedTrack) {
	if a := player.AudioTrack(); a != nil {
		audio = newCountedTrack(a)
	}
	for _, v := range player.VideoTracks() {
		video = append(video, newCountedTrack(v))
	}
	return audio, video
}

// tracks returns the publication's tracks as the connection takes them.
func (p *publication) tracks() (webrtc.TrackLocal, []webrtc.TrackLocal) {
	var audio webrtc.TrackLocal
	if p.audioTrack != nil {
		audio = p.audioTrack
	}
	video := make([]webrtc.TrackLocal, 0, len(p.videoTracks))
	for _, v := range p.videoTracks {
		video = append(video, v)
	}
	return audio, video
}
