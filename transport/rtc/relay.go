package rtc

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// relayTrack is the track the connection itself gives pion for one
// encoding of one publication section. It lives as long as the peer
// connection; the application's track (the source) is attached to it and
// detached again as the publication changes, so pion's sender, its SSRC and
// its simulcast envelope never change. This is how a publication goes
// inactive and active again without a pion direction setter and without
// stopping the sender for good.
//
// The source is bound with a context whose writer stamps the sdes:mid and
// sdes:rtp-stream-id header extensions, which pion leaves to the track.
type relayTrack struct {
	id, streamID, rid, mid string
	kind                   webrtc.RTPCodecType
	logger                 *slog.Logger

	mu  sync.Mutex
	ctx webrtc.TrackLocalContext // pion's binding; nil until Send
	// codecs are the negotiated codecs (RTX left out) as pion offered
	// them to Bind, before it narrowed ctx to the one Bind chose.
	codecs []webrtc.RTPCodecParameters
	source webrtc.TrackLocal
	bound  *sourceContext // the source's binding, if any
	// seq keeps the encoding's sequence numbers continuous across sources.
	seq sequencer
	// live is set once an applied answer accepted this encoding as sent;
	// until then the source stays detached, so the server never gets RTP
	// on a section it still believes inactive.
	live bool
}

var _ webrtc.TrackLocal = (*relayTrack)(nil)

// ID returns the track identifier shared by every encoding of a section.
func (r *relayTrack) ID() string { return r.id }

// RID returns the encoding's RID ("" for audio).
func (r *relayTrack) RID() string { return r.rid }

// StreamID returns me#primary or me#secondary.
func (r *relayTrack) StreamID() string { return r.streamID }

// Kind returns the section's kind.
func (r *relayTrack) Kind() webrtc.RTPCodecType { return r.kind }

// Bind is called by pion when the sender starts. It never fails because of
// the source: a source that cannot bind is logged and stays detached.
//
// pion narrows the context to the one codec Bind returns as soon as Bind
// returns, and the relay binds only once for the life of the connection
// while sources come and go. So the relay keeps its own copy of every
// negotiated codec and offers that list to each source it binds (see
// [sourceContext.CodecParameters]); otherwise a source in any codec but
// the first one answered could never attach. For pion itself, Bind returns
// the codec of the source already set, if it can tell, else the first one.
//
// Known shortcoming: pion's interceptors (reports, NACK, statistics) keep
// the codec returned here for the life of the sender, so after a source in
// another codec attaches they describe the stream with the first codec.
// Both video codecs run at 90 kHz and no RTX is offered, so what is sent
// stays correct; only the codec those interceptors report is stale.
func (r *relayTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	r.mu.Lock()
	defer r.mu.Unlock()

	var codecs []webrtc.RTPCodecParameters
	for _, c := range ctx.CodecParameters() {
		if !strings.EqualFold(c.MimeType, webrtc.MimeTypeRTX) {
			codecs = append(codecs, c)
		}
	}
	if len(codecs) == 0 {
		return webrtc.RTPCodecParameters{}, webrtc.ErrUnsupportedCodec
	}
	codec := preferredCodec(codecs, r.source)

	r.ctx = ctx
	r.codecs = codecs
	if r.live && r.source != nil {
		bound, err := r.bindSourceLocked()
		if err != nil {
			r.logger.Warn("publication track not attached", "mid", r.mid, "rid", r.rid, "err", err)
		} else {
			codec = bound
		}
	}

	return codec, nil
}

// codecTrack is implemented by pion's static tracks, which know their
// codec before they are bound.
type codecTrack interface {
	Codec() webrtc.RTPCodecCapability
}

// preferredCodec returns the first of codecs in the codec of src, when src
// tells its codec and one matches, else the first of codecs.
func preferredCodec(codecs []webrtc.RTPCodecParameters, src webrtc.TrackLocal) webrtc.RTPCodecParameters {
	if t, ok := src.(codecTrack); ok {
		want := t.Codec()
		for _, c := range codecs {
			if strings.EqualFold(c.MimeType, want.MimeType) && c.ClockRate == want.ClockRate {
				return c
			}
		}
	}

	return codecs[0]
}

// Unbind is called by pion when the sender stops.
func (r *relayTrack) Unbind(webrtc.TrackLocalContext) error {
	r.mu.Lock()
	defer r.mu.Unlock()

	err := r.unbindSourceLocked()
	r.ctx = nil
	r.codecs = nil

	return err
}

// setSource sets the application track (nil detaches it at once). A new
// track is attached at once only if the encoding is live; attaching fails
// when src cannot use any negotiated codec.
func (r *relayTrack) setSource(src webrtc.TrackLocal) error {
	r.mu.Lock()
	defer r.mu.Unlock()

	if src == r.source {
		return nil
	}
	r.detachLocked()
	r.source = src

	return r.attachLocked()
}

// setLive records whether the last applied answer accepted the encoding
// as sent, and attaches or detaches the source accordingly.
func (r *relayTrack) setLive(live bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()

	if live == r.live {
		return nil
	}
	r.live = live
	if !live {
		r.detachLocked()

		return nil
	}

	return r.attachLocked()
}

func (r *relayTrack) attachLocked() error {
	if !r.live || r.source == nil || r.ctx == nil || r.bound != nil {
		return nil
	}
	if _, err := r.bindSourceLocked(); err != nil {
		r.source = nil

		return err
	}

	return nil
}

func (r *relayTrack) detachLocked() {
	if err := r.unbindSourceLocked(); err != nil {
		r.logger.Debug("unbind publication track", "mid", r.mid, "rid", r.rid, "err", err)
	}
}

func (r *relayTrack) bindSourceLocked() (webrtc.RTPCodecParameters, error) {
	bound := newSourceContext(r.ctx, r.codecs, &r.seq, r.mid, r.rid)
	codec, err := r.source.Bind(bound)
	if err != nil {
		return codec, fmt.Errorf("%w: bind %s track: %w", ErrInvalidTrack, r.kind, err)
	}
	r.bound = bound

	return codec, nil
}

func (r *relayTrack) unbindSourceLocked() error {
	if r.bound == nil {
		return nil
	}
	bound := r.bound
	r.bound = nil

	return r.source.Unbind(bound)
}

// sourceContext is the binding context handed to an application track.
type sourceContext struct {
	webrtc.TrackLocalContext
	id     string
	codecs []webrtc.RTPCodecParameters
	writer *stampWriter
}

func newSourceContext(
	ctx webrtc.TrackLocalContext, codecs []webrtc.RTPCodecParameters, seq *sequencer, mid, rid string,
) *sourceContext {
	w := &stampWriter{
		next: ctx.WriteStream(), mid: []byte(mid), rid: []byte(rid),
		seq: seqSpan{sequencer: seq, clocks: clockRates(codecs)},
	}
	for _, ext := range ctx.HeaderExtensions() {
		switch ext.URI {
		case sdp.SDESMidURI:
			w.midID = uint8(ext.ID) //nolint:gosec // one-byte extension IDs are 1..14
		case sdp.SDESRTPStreamIDURI:
			w.ridID = uint8(ext.ID) //nolint:gosec // as above
		}
	}
	if rid == "" {
		w.ridID = 0
	}

	return &sourceContext{TrackLocalContext: ctx, id: ctx.ID() + ":" + rid, codecs: codecs, writer: w}
}

// CodecParameters returns every codec the answer accepted for the section,
// not only the one pion's sender settled on (see [relayTrack.Bind]).
func (c *sourceContext) CodecParameters() []webrtc.RTPCodecParameters {
	return slices.Clone(c.codecs)
}

// ID distinguishes the encodings of one sender, which share pion's ID.
func (c *sourceContext) ID() string { return c.id }

// WriteStream returns the stamping writer.
func (c *sourceContext) WriteStream() webrtc.TrackLocalWriter { return c.writer }

// stampWriter adds the mid and RID header extensions to every packet and
// renumbers it into the encoding's sequence and timeline.
type stampWriter struct {
	next         webrtc.TrackLocalWriter
	midID, ridID uint8
	mid, rid     []byte
	seq          seqSpan
}

func (w *stampWriter) WriteRTP(header *rtp.Header, payload []byte) (int, error) {
	// The caller may reuse the header for other bindings: change a copy.
	stamped := *header
	stamped.SequenceNumber, stamped.Timestamp = w.seq.renumber(header)
	if w.midID == 0 && w.ridID == 0 {
		return w.next.WriteRTP(&stamped, payload)
	}
	stamped.Extensions = append(make([]rtp.Extension, 0, len(header.Extensions)+2), header.Extensions...)
	if w.midID != 0 {
		if err := stamped.SetExtension(w.midID, w.mid); err != nil {
			return 0, err
		}
	}
	if w.ridID != 0 {
		if err := stamped.SetExtension(w.ridID, w.rid); err != nil {
			return 0, err
		}
	}

	return w.next.WriteRTP(&stamped, payload)
}

// sequencer holds where one encoding's stream stands: the last sequence
// number and RTP timestamp sent, and when. The SSRC of an encoding never
// changes, but every application track numbers its packets from its own
// random start and stamps them on its own random timeline, so a
// publication switched to a new track (another stream, or the same stream
// published again after a pause) would jump in the middle of the stream.
//
// A jump of the sequence number by more than half its range makes the
// receiver's SRTP context place the packets that follow in the wrong
// rollover period; when it guesses the previous one, they lie behind
// everything received and its replay protection drops every one of them,
// so the server forwards nothing of the new track (about half the random
// starts do that). A jump
// of the timestamp is legal SRTP but breaks what receivers derive from
// it (interarrival jitter, the mapping of sender reports, playout), and a
// timestamp that goes backwards may be taken for an old packet. So each
// binding is shifted to continue where the previous one stopped: numbers
// right after the last one, timestamps advanced by the wall-clock time
// that passed, in the codec's clock.
type sequencer struct {
	mu      sync.Mutex
	started bool
	last    uint16
	lastTS  uint32
	lastAt  time.Time
}

// seqSpan renumbers the packets of one source binding: its offsets are set
// by its first packet.
type seqSpan struct {
	*sequencer
	clocks   map[uint8]uint32 // payload type → clock rate, of the answered codecs
	set      bool
	offset   uint16
	tsOffset uint32
}

// clockRates maps the payload types of codecs to their clock rates.
func clockRates(codecs []webrtc.RTPCodecParameters) map[uint8]uint32 {
	out := make(map[uint8]uint32, len(codecs))
	for _, c := range codecs {
		out[uint8(c.PayloadType)] = c.ClockRate
	}

	return out
}

// number returns the sequence number a packet numbered seq by its source
// is sent with (its timestamp is not changed; see renumber).
func (s *seqSpan) number(seq uint16) uint16 {
	out, _ := s.renumber(&rtp.Header{SequenceNumber: seq})

	return out
}

// renumber returns the sequence number and timestamp a packet of the
// source is sent with.
func (s *seqSpan) renumber(h *rtp.Header) (uint16, uint32) {
	s.mu.Lock()
	defer s.mu.Unlock()

	now := time.Now()
	if !s.set {
		s.set = true
		if s.started {
			s.offset = s.last + 1 - h.SequenceNumber
			s.tsOffset = s.lastTS + s.ticksSince(now, h.PayloadType) - h.Timestamp
		}
	}
	seq, ts := h.SequenceNumber+s.offset, h.Timestamp+s.tsOffset
	if !s.started || int16(seq-s.last) > 0 { //nolint:gosec // serial number arithmetic
		s.started, s.last, s.lastTS, s.lastAt = true, seq, ts, now
	}

	return seq, ts
}

// ticksSince returns how far the timeline moved since the last packet was
// sent, in the clock of payload type pt: at least one tick, so that the
// first packet of a new source is never stamped with the time of the last
// one of the previous source, and less than half the timestamp range.
// Called with s.mu held.
func (s *seqSpan) ticksSince(now time.Time, pt uint8) uint32 {
	clock := s.clocks[pt]
	if clock == 0 {
		clock = 90000 // unknown payload type: the video clock, finer than audio's
	}
	ticks := now.Sub(s.lastAt).Seconds() * float64(clock)
	switch {
	case ticks < 1:
		return 1
	case ticks >= 1<<31:
		// Further would read as a step back: after a pause of hours the
		// timeline moves on by the most it can.
		return 1<<31 - 1
	}

	return uint32(ticks)
}

func (w *stampWriter) Write(b []byte) (int, error) {
	var packet rtp.Packet
	if err := packet.Unmarshal(b); err != nil {
		return 0, err
	}
	if _, err := w.WriteRTP(&packet.Header, packet.Payload); err != nil {
		return 0, err
	}

	return len(b), nil
}
