package session

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"

	"github.com/mindsdk/mindgo/event"
	"github.com/mindsdk/mindgo/media"
	"github.com/mindsdk/mindgo/stats"
	"github.com/mindsdk/mindgo/transport"
	"github.com/mindsdk/mindgo/transport/rtc"
)

// Errors of the media API.
var (
	// ErrSignallingOnly: a media method was called on a signalling-only
	// session.
	ErrSignallingOnly = errors.New("mind: the session is signalling-only and carries no media")
	// ErrStreamEnded: the remote stream of a subscription is gone: its
	// participant left the conference or went offline (its connection
	// dropped), which takes it out of the conference model. To receive
	// the participant again, call Receive after its next
	// ParticipantJoined event.
	ErrStreamEnded = errors.New("mind: the remote stream ended")
	// ErrConnectTimeout: a peer connection did not open its data channel
	// within MediaOptions.ConnectTimeout. Join fails with it; during
	// recovery the next attempt follows.
	ErrConnectTimeout = errors.New("mind: peer connection did not open in time")
)

// Target names a remote stream to receive (protocol §8.2): the conference
// stream or a participant's primary or secondary stream. The zero value is
// the conference stream.
type Target struct {
	participant string
	secondary   bool
}

// ConferenceStream is the conference's mixed stream.
func ConferenceStream() Target { return Target{} }

// PrimaryStream is the primary stream (camera and microphone) of a remote
// participant.
func PrimaryStream(participantID string) Target { return Target{participant: participantID} }

// SecondaryStream is the secondary stream (e.g. a shared screen) of a
// remote participant.
func SecondaryStream(participantID string) Target {
	return Target{participant: participantID, secondary: true}
}

// Label returns the stream's label on the wire: "conference",
// "<participant id>#primary" or "<participant id>#secondary".
func (t Target) Label() string {
	switch {
	case t.participant == "":
		return "conference"
	case t.secondary:
		return t.participant + "#secondary"
	default:
		return t.participant + "#primary"
	}
}

// Limits bound what the server sends of a received stream's video
// (protocol §4.7): bitrate in bits/s, frame area in pixels, frame rate in
// frames/s. Zero means unlimited.
type Limits = rtc.Limits

// validLimits refuses limits that cannot bound anything: a negative
// bitrate or frame area, a negative, NaN or infinite frame rate.
func validLimits(l Limits) error {
	switch {
	case l.MaxBitrate < 0:
		return fmt.Errorf("%w: negative MaxBitrate %d", ErrInvalidValue, l.MaxBitrate)
	case l.MaxFrameArea < 0:
		return fmt.Errorf("%w: negative MaxFrameArea %d", ErrInvalidValue, l.MaxFrameArea)
	case math.IsNaN(l.MaxFrameRate) || math.IsInf(l.MaxFrameRate, 0) || l.MaxFrameRate < 0:
		return fmt.Errorf("%w: MaxFrameRate %v", ErrInvalidValue, l.MaxFrameRate)
	}
	return nil
}

// ReceiveOptions say where a received stream goes.
//
// A sink receives one codec for the life of its subscription: the codec of
// the first packet handed to it. A remote participant may switch codec
// while it publishes (e.g. republish H.264 instead of VP8), and the
// conference stream of some servers may change source to one that sends
// another codec; packets of a codec other than the sink's first one are
// dropped rather than written into a file of the wrong format. They are
// counted in [Subscription.Dropped] and logged once at warn level. To
// record the new codec, receive the stream again with a sink for it.
type ReceiveOptions struct {
	// Audio receives the audio packets, or nil not to receive audio.
	Audio media.Sink
	// Video receives the video packets, or nil not to receive video.
	Video media.Sink
	// Limits are the receive limits of the video.
	Limits Limits
}

// Subscription is the reception of one remote stream into sinks, made by
// [Session.Receive]. The session owns the sinks from then on: it closes
// them when the subscription ends, by [Subscription.Close], because the
// participant left or went offline (ErrStreamEnded) or because the session
// ended. Each sink keeps the codec of its first packet (see
// [ReceiveOptions] and [Subscription.Dropped]). While
// the stream's participant does not send a kind, or the session recovers
// from a lost connection, nothing is written; packets resume into the same
// sinks afterwards.
type Subscription struct {
	s      *Session
	target Target
	kinds  [2]*subKind // audio, video
	limits Limits      // owned by the actor

	once sync.Once
	done chan struct{}
	err  error // set before done closes

	stats atomic.Pointer[event.StreamStatistics]
}

// subKind is one kind of a subscription.
type subKind struct {
	kind    webrtc.RTPCodecType
	counter *media.Counter
	slot    *rtc.Slot // on the current connection; nil while parked
	// avail: the slot is held because the stream has this kind (protocol
	// §4.12).
	avail bool
	// bindRound: the negotiation round after which the slot's packets are
	// this subscription's; 0 once bound.
	bindRound uint64
	// size is the latest received keyframe's width<<16 | height (VP8 only).
	size  atomic.Uint32
	mtid  string
	audio stats.AudioMeter
	video stats.VideoMeter
	// mime is the lower-case codec of the first packet written to the
	// sink; packets of another codec are dropped and counted in dropped.
	mime    atomic.Pointer[string]
	dropped atomic.Uint64
	warned  atomic.Bool
	log     func(msg string, args ...any)
}

// accept tells whether a packet of codec mime may go to the sink: the
// first codec seen binds the kind, later packets must match it.
func (k *subKind) accept(mime string) bool {
	mime = strings.ToLower(mime)
	cur := k.mime.Load()
	if cur == nil {
		if k.mime.CompareAndSwap(nil, &mime) {
			return true
		}
		cur = k.mime.Load()
	}
	if *cur == mime {
		return true
	}
	k.dropped.Add(1)
	if !k.warned.Swap(true) && k.log != nil {
		k.log("received stream changed codec; packets of the new codec are dropped",
			"mtid", k.mtid, "codec", *cur, "new", mime)
	}
	return false
}

// pump copies the packets of one received track into the subscription
// kind its section currently serves (nil: dropped).
type pump struct {
	track  *webrtc.TrackRemote
	vp8    bool
	target atomic.Pointer[subKind]
	// pt and mime cache the codec of the last payload type seen; only
	// the copying goroutine uses them.
	pt   uint8
	mime string
}

// WriteRTP passes a packet on to the current target.
func (p *pump) WriteRTP(pkt *rtp.Packet) error {
	k := p.target.Load()
	if k == nil {
		return nil
	}
	if p.mime == "" || pkt.PayloadType != p.pt {
		// The track's codec follows the payload type of the packet just
		// read (pion updates it on a change).
		p.pt, p.mime = pkt.PayloadType, p.track.Codec().MimeType
		p.vp8 = strings.EqualFold(p.mime, webrtc.MimeTypeVP8)
	}
	if !k.accept(p.mime) {
		return nil
	}
	if p.vp8 {
		if w, h, ok := vp8KeyframeSize(pkt.Payload); ok {
			k.size.Store(uint32(w)<<16 | uint32(h))
		}
	}
	if err := k.counter.WriteRTP(pkt); err != nil && !errors.Is(err, media.ErrClosed) {
		return err
	}
	return nil
}

// Close does nothing: the pump's targets are closed by their
// subscriptions.
func (p *pump) Close() error { return nil }

// vp8KeyframeSize reads the picture size from the first packet of a VP8
// keyframe (RFC 7741 payload descriptor, RFC 6386 §9.1 frame header).
func vp8KeyframeSize(payload []byte) (width, height int, ok bool) {
	var d codecs.VP8Packet
	frame, err := d.Unmarshal(payload)
	if err != nil || d.S != 1 || d.PID != 0 || len(frame) < 10 {
		return 0, 0, false
	}
	return media.VP8KeyframeSize(frame)
}

// publication is one of the local participant's streams.
type publication struct {
	which       rtc.Publication
	player      *media.Player
	audioTrack  *countedTrack   // nil without audio
	videoTracks []*countedTrack // lowest layer first
	// width and height of the largest video layer, and each layer's size
	// by rid: sent frames are counted, not inspected.
	width, height int
	sizes         map[string][2]int
	cancel        context.CancelFunc
	audio         stats.AudioMeter
	video         stats.VideoMeter
	last          atomic.Pointer[event.StreamStatistics]
}

// call runs fn on the actor and waits for its result, the end of ctx or
// the end of the session.
func (s *Session) call(ctx context.Context, fn func() error) error {
	c := mediaCall{fn: fn, reply: make(chan error, 1)}
	select {
	case <-s.done:
		return s.closedErr()
	default:
	}
	s.box.put(c)
	select {
	case err := <-c.reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-s.done:
		select {
		case err := <-c.reply:
			return err
		default:
			return s.closedErr()
		}
	}
}

// SetPrimaryStream publishes stream as the local participant's primary
// stream (camera and microphone, protocol §8.2), replacing what it
// published before; nil stops publishing it. The session plays the
// stream's sources on goroutines it owns until the stream is replaced or
// the session ends, and keeps publishing it across reconnections. The
// change reaches the server with the next negotiation round, which this
// method starts but does not wait for.
//
// A source that does not loop sends nothing once its file is played out,
// but the publication stays: the participant's media flags keep saying
// it publishes until the stream is cleared (nil) or replaced. Clear it
// when the end matters to the other participants.
func (s *Session) SetPrimaryStream(ctx context.Context, stream *media.Stream) error {
	return s.setStream(ctx, rtc.Primary, stream)
}

// SetSecondaryStream is [Session.SetPrimaryStream] for the secondary stream
// (e.g. screen sharing).
func (s *Session) SetSecondaryStream(ctx context.Context, stream *media.Stream) error {
	return s.setStream(ctx, rtc.Secondary, stream)
}

func (s *Session) setStream(ctx context.Context, which rtc.Publication, stream *media.Stream) error {
	var p *publication
	if stream != nil {
		player, err := media.NewPlayer(*stream, "me#"+which.String())
		if err != nil {
			return fmt.Errorf("mind: set %s stream: %w", which, err)
		}
		p = &publication{which: which, player: player, sizes: map[string][2]int{}}
		p.audioTrack, p.videoTracks = publishedTracks(player)
		if stream.Video != nil {
			p.width, p.height = stream.Video.Size()
			for _, l := range stream.Video.Layers() {
				w, h := l.Source.Size()
				p.sizes[l.RID] = [2]int{w, h}
			}
		}
		p.audio.Direction, p.video.Direction = stats.Sent, stats.Sent
	}
	return s.call(ctx, func() error { return s.applyStream(which, p) })
}

// applyStream runs on the actor.
func (s *Session) applyStream(which rtc.Publication, p *publication) error {
	m := s.a.media
	i := int(which) - 1
	old := m.pubs[i]
	if m.conn != nil {
		var audio webrtc.TrackLocal
		var video []webrtc.TrackLocal
		if p != nil {
			audio, video = p.tracks()
		}
		if err := m.conn.conn.SetPublication(which, audio, video); err != nil {
			return fmt.Errorf("mind: set %s stream: %w", which, err)
		}
	}
	if old != nil && old.cancel != nil {
		old.cancel()
	}
	m.pubs[i] = nil
	m.pubStats[i].Store(nil)
	if p != nil {
		ctx, cancel := context.WithCancel(s.ctx)
		p.cancel = cancel
		s.a.wg.Add(1)
		go func() {
			defer s.a.wg.Done()
			if err := p.player.Run(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("publication stopped", "publication", which.String(), "err", err)
			}
		}()
		m.pubs[i] = p
	}
	s.requestNegotiation()
	return nil
}

// Receive starts receiving a remote stream into the sinks of opts (at least
// one). The session closes the sinks when the subscription ends; see
// [Subscription]. Receiving a participant's stream requires the participant
// to be in the conference now; its media flags decide when packets flow
// (protocol §4.12). Several subscriptions of one stream are allowed, each
// with its own receive section. The subscription of a participant's stream
// ends with ErrStreamEnded when that participant leaves or goes offline;
// it is not resumed when the participant comes back: receive again after
// its ParticipantJoined event. Limits with a negative value, or a NaN or
// infinite frame rate, are refused with ErrInvalidValue.
func (s *Session) Receive(ctx context.Context, target Target, opts ReceiveOptions) (*Subscription, error) {
	if opts.Audio == nil && opts.Video == nil {
		return nil, fmt.Errorf("mind: receive %s: %w: no sink", target.Label(), ErrInvalidValue)
	}
	if target.participant != "" && !transport.IsUUID(target.participant) {
		return nil, fmt.Errorf("mind: receive: %w: participant id %q", ErrInvalidValue, target.participant)
	}
	if err := validLimits(opts.Limits); err != nil {
		return nil, fmt.Errorf("mind: receive %s: %w", target.Label(), err)
	}
	sub := &Subscription{s: s, target: target, limits: opts.Limits, done: make(chan struct{})}
	if opts.Audio != nil {
		sub.kinds[0] = &subKind{
			kind: webrtc.RTPCodecTypeAudio, counter: media.NewCounter(webrtc.MimeTypeOpus, opts.Audio),
			mtid: stats.MediaTrackID(target.Label(), "audio"), log: s.log.Warn,
		}
	}
	if opts.Video != nil {
		sub.kinds[1] = &subKind{
			kind: webrtc.RTPCodecTypeVideo, counter: media.NewCounter(webrtc.MimeTypeVP8, opts.Video),
			mtid: stats.MediaTrackID(target.Label(), "video"), log: s.log.Warn,
		}
	}
	sub.stats.Store(&event.StreamStatistics{Label: target.Label(), Direction: stats.Received})

	err := s.call(ctx, func() error {
		if _, exists := available(s.a.model, target, webrtc.RTPCodecTypeAudio); !exists {
			return fmt.Errorf("mind: receive %s: %w: participant not in the conference", target.Label(), ErrNotFound)
		}
		s.a.media.subs = append(s.a.media.subs, sub)
		return nil // the step's syncSlots subscribes and negotiates
	})
	if err != nil {
		sub.closeSinks()
		return nil, err
	}
	return sub, nil
}

// Target returns the stream the subscription receives.
func (u *Subscription) Target() Target { return u.target }

// SetLimits changes the receive limits; the server applies them after the
// next negotiation round, which this method starts.
// Limits with a negative value, or a NaN or infinite frame rate, are
// refused with ErrInvalidValue.
func (u *Subscription) SetLimits(ctx context.Context, limits Limits) error {
	if err := validLimits(limits); err != nil {
		return fmt.Errorf("mind: set limits: %w", err)
	}
	return u.s.call(ctx, func() error {
		select {
		case <-u.done:
			return u.err
		default:
		}
		u.limits = limits
		k := u.kinds[1]
		if k != nil && k.slot != nil {
			if err := k.slot.SetLimits(limits); err != nil {
				return fmt.Errorf("mind: set limits: %w", err)
			}
			u.s.a.media.detector.Register(k.mtid, time.Now())
			u.s.requestNegotiation()
		}
		return nil
	})
}

// Close ends the subscription: its receive sections are released and its
// sinks closed before Close returns. It is idempotent; after the session
// ended it only waits for the sinks to be closed.
func (u *Subscription) Close() error {
	err := u.s.call(context.Background(), func() error {
		m := u.s.a.media
		for i, x := range m.subs {
			if x == u {
				m.subs = append(m.subs[:i], m.subs[i+1:]...)
				break
			}
		}
		released := false
		for _, k := range u.kinds {
			if k != nil && k.slot != nil {
				u.s.releaseKind(k)
				released = true
			}
		}
		if released {
			u.s.requestNegotiation()
		}
		u.finish(ErrClosed)
		return nil
	})
	<-u.done
	if err != nil && errors.Is(err, ErrClosed) {
		return nil
	}
	return err
}

// Done is closed when the subscription has ended and its sinks are closed.
func (u *Subscription) Done() <-chan struct{} { return u.done }

// Err returns nil while the subscription runs, then why it ended:
// ErrClosed (by Close), ErrStreamEnded, or the session's end.
func (u *Subscription) Err() error {
	select {
	case <-u.done:
		return u.err
	default:
		return nil
	}
}

// Counts returns what the subscription has received so far, per kind.
func (u *Subscription) Counts() (audio, video media.Counts) {
	if k := u.kinds[0]; k != nil {
		audio = k.counter.Counters()
	}
	if k := u.kinds[1]; k != nil {
		video = k.counter.Counters()
	}
	return audio, video
}

// Dropped returns how many packets the subscription dropped, per kind,
// because the stream changed codec after the sink received its first
// packet (see [ReceiveOptions]).
func (u *Subscription) Dropped() (audio, video uint64) {
	if k := u.kinds[0]; k != nil {
		audio = k.dropped.Load()
	}
	if k := u.kinds[1]; k != nil {
		video = k.dropped.Load()
	}
	return audio, video
}

// Statistics returns the latest statistics of the received stream
// (protocol §6), updated every statistics tick.
func (u *Subscription) Statistics() event.StreamStatistics { return *u.stats.Load() }

// finish ends the subscription with err and closes its sinks. Runs on the
// actor, once the section no longer writes to the sinks.
func (u *Subscription) finish(err error) {
	u.once.Do(func() {
		for _, k := range u.kinds {
			if k != nil && k.slot != nil {
				u.s.releaseKind(k)
			}
		}
		u.err = err
		u.closeSinks()
		close(u.done)
	})
}

func (u *Subscription) closeSinks() {
	for _, k := range u.kinds {
		if k != nil {
			_ = k.counter.Close()
		}
	}
}
