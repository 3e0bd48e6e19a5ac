package rtc

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"

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
		seq: seqSpan{sequencer: seq},
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
// renumbers it into the encoding's sequence.
type stampWriter struct {
	next         webrtc.TrackLocalWriter
	midID, ridID uint8
	mid, rid     []byte
	seq          seqSpan
}

func (w *stampWriter) WriteRTP(header *rtp.Header, payload []byte) (int, error) {
	// The caller may reuse the header for other bindings: change a copy.
	stamped := *header
	stamped.SequenceNumber = w.seq.number(header.SequenceNumber)
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

// sequencer holds the last sequence number sent on one encoding. The SSRC
// of an encoding never changes, but every application track numbers its
// packets from its own random start, so a publication switched to a new
// track would jump in the middle of the stream. The receiver's SRTP
// context guesses the rollover counter from the sequence number, and a
// jump of more than half the number space makes it guess wrong and drop
// every packet that follows as unauthentic. Each binding is therefore
// shifted to continue where the previous one stopped. RTP timestamps are
// left as the tracks write them.
type sequencer struct {
	mu      sync.Mutex
	started bool
	last    uint16
}

// seqSpan renumbers the packets of one source binding: its offset is set
// by its first packet.
type seqSpan struct {
	*sequencer
	set    bool
	offset uint16
}

func (s *seqSpan) number(seq uint16) uint16 {
	s.mu.Lock()
	defer s.mu.Unlock()

	if !s.set {
		s.set = true
		if s.started {
			s.offset = s.last + 1 - seq
		}
	}
	out := seq + s.offset
	if !s.started || int16(out-s.last) > 0 { //nolint:gosec // serial number arithmetic
		s.started, s.last = true, out
	}

	return out
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
