package sfu

import (
	"errors"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// sourceKey names the media of one stream label and kind.
type sourceKey struct {
	label string
	kind  webrtc.RTPCodecType
}

// source is one published track (audio, or video with its simulcast
// layers) of a stream label, and the receive slots bound to it. It outlives
// publisher connections: a slot bound to "<pid>#primary" picks up the media
// as soon as that participant publishes again.
type source struct {
	key sourceKey

	mu     sync.Mutex
	layers []*layer // guarded by mu

	sinks atomic.Pointer[[]*downTrack] // copy on write, read per packet
}

func (s *source) addSink(d *downTrack) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.sinks.Load()
	var next []*downTrack
	if old != nil {
		next = slices.Clone(*old)
	}
	next = append(next, d)
	s.sinks.Store(&next)
}

func (s *source) removeSink(d *downTrack) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.sinks.Load()
	if old == nil {
		return
	}
	next := slices.DeleteFunc(slices.Clone(*old), func(x *downTrack) bool { return x == d })
	s.sinks.Store(&next)
}

func (s *source) addLayer(l *layer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.layers = append(s.layers, l)
}

func (s *source) removeLayer(l *layer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.layers = slices.DeleteFunc(s.layers, func(x *layer) bool { return x == l })
}

func (s *source) snapshotLayers() []*layer {
	s.mu.Lock()
	defer s.mu.Unlock()

	return slices.Clone(s.layers)
}

// layer is one inbound RTP stream of a publisher: an audio track, or one
// simulcast encoding (rid) of a video track.
type layer struct {
	src      *source
	rid      string
	ssrc     uint32
	mime     string // lower case, e.g. "video/vp8"
	key      string // codecKey of the codec
	clock    uint32
	video    bool
	track    *webrtc.TrackRemote
	pc       *webrtc.PeerConnection // the publisher's, for PLI
	alive    func() bool            // false once the publisher's connection ended
	added    time.Time
	inspect  func([]byte) frameInfo
	lastPLI  atomic.Int64 // unix nanos
	bytes    atomic.Uint64
	frames   atomic.Uint64 // RTP marker bits seen
	size     atomic.Uint64 // width<<32 | height, 0 when unknown
	bitrate  atomic.Uint64 // bits/s, valid when measured
	fps      atomic.Uint64 // frames/s × 1000
	measured atomic.Bool
	live     atomic.Bool
	// params is set once an H.264 layer sent a sequence parameter set:
	// from then on only packets that carry one are switch points.
	params atomic.Bool

	// The fields below belong to the room's worker goroutine.
	lastBytes, lastFrames uint64
	lastAt                time.Time
}

func newLayer(src *source, track *webrtc.TrackRemote, pc *webrtc.PeerConnection, alive func() bool) *layer {
	codec := track.Codec()
	l := &layer{
		src:   src,
		rid:   track.RID(),
		ssrc:  uint32(track.SSRC()),
		mime:  strings.ToLower(codec.MimeType),
		key:   codecKey(codec.MimeType, codec.SDPFmtpLine),
		clock: codec.ClockRate,
		video: track.Kind() == webrtc.RTPCodecTypeVideo,
		track: track,
		pc:    pc,
		alive: alive,
		added: time.Now(),
	}
	switch l.mime {
	case strings.ToLower(webrtc.MimeTypeVP8):
		l.inspect = inspectVP8
	case strings.ToLower(webrtc.MimeTypeH264):
		l.inspect = inspectH264
	}
	if l.clock == 0 {
		l.clock = 90000
	}
	l.live.Store(true)
	l.lastAt = l.added

	return l
}

// area returns the last known frame area, 0 when unknown.
func (l *layer) area() uint64 {
	v := l.size.Load()

	return (v >> 32) * (v & 0xffffffff)
}

// requestKeyframe sends a PLI for this layer to the publisher, at most once
// per 100 ms.
func (l *layer) requestKeyframe() {
	now := time.Now().UnixNano()
	last := l.lastPLI.Load()
	if now-last < int64(100*time.Millisecond) || !l.lastPLI.CompareAndSwap(last, now) {
		return
	}
	_ = l.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: l.ssrc}})
}

// updateStats refreshes bitrate, frame rate and liveness; called by the
// room's worker on its tick.
func (l *layer) updateStats(now time.Time) {
	elapsed := now.Sub(l.lastAt)
	if elapsed < 450*time.Millisecond {
		return
	}
	b, f := l.bytes.Load(), l.frames.Load()
	db, df := b-l.lastBytes, f-l.lastFrames
	l.lastBytes, l.lastFrames, l.lastAt = b, f, now
	secs := elapsed.Seconds()
	rate := float64(db) * 8 / secs
	fps := float64(df) / secs
	if l.measured.Load() {
		rate = (rate + float64(l.bitrate.Load())) / 2
		fps = (fps + float64(l.fps.Load())/1000) / 2
	}
	l.bitrate.Store(uint64(rate))
	l.fps.Store(uint64(fps * 1000))
	l.measured.Store(true)
	l.live.Store(db > 0)
}

// readLoop forwards the layer's packets to the slots bound to its source
// until the track ends.
//
// pion may hand a track a new SRTP stream (a new SSRC for a rid) and leave
// a reader blocked on the old one, which nothing closes, not even closing
// the PeerConnection. The loop therefore reads with a deadline, renewed
// while packets flow; a read that times out is retried on the track's
// current stream, and ends the loop once the connection is gone.
func (l *layer) readLoop() {
	defer l.src.removeLayer(l)
	buf := make([]byte, 1500)
	var hdr rtp.Header
	var renewed time.Time
	for {
		if now := time.Now(); now.Sub(renewed) > readWatch/2 {
			_ = l.track.SetReadDeadline(now.Add(readWatch))
			renewed = now
		}
		n, _, err := l.track.Read(buf)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) && l.alive() {
				renewed = time.Time{}

				continue
			}

			return
		}
		l.forward(&hdr, buf[:n])
	}
}

// drainRTCP reads the publisher's RTCP for this layer so that pion's
// interceptors see its sender reports (the receiver reports the engine sends
// back then carry round-trip data); the packets themselves are not needed.
// It ends like readLoop.
func (l *layer) drainRTCP(receiver *webrtc.RTPReceiver) {
	buf := make([]byte, 1500)
	for {
		var err error
		deadline := time.Now().Add(readWatch)
		if l.rid != "" {
			_ = receiver.SetReadDeadlineSimulcast(deadline, l.rid)
			_, _, err = receiver.ReadSimulcast(buf, l.rid)
		} else {
			_ = receiver.SetReadDeadline(deadline)
			_, _, err = receiver.Read(buf)
		}
		if err != nil && !(errors.Is(err, os.ErrDeadlineExceeded) && l.alive()) {
			return
		}
	}
}

// switchGuard is how many packets after a switch are checked for being
// older than the switch; later, sequence numbers may wrap freely.
const switchGuard = 1000

// readWatch bounds how long a layer's reader may stay blocked.
const readWatch = time.Second

func (l *layer) forward(hdr *rtp.Header, pkt []byte) {
	hn, err := hdr.Unmarshal(pkt)
	if err != nil {
		return
	}
	payload := pkt[hn:]
	l.bytes.Add(uint64(len(pkt)))
	if hdr.Marker {
		l.frames.Add(1)
	}
	var info frameInfo
	if l.inspect != nil {
		info = l.inspect(payload)
		if info.width > 0 && info.height > 0 {
			l.size.Store(uint64(info.width)<<32 | uint64(info.height))
		}
	}
	start := info.keyframe || !l.video
	if info.params {
		l.params.Store(true)
	} else if info.keyframe && l.params.Load() {
		// An IDR slice whose SPS and PPS went in the packet before: a
		// receiver that starts here has no parameter sets and cannot
		// decode until the next keyframe, so wait for the packet that
		// carries them. Senders that never repeat them still switch on
		// IDR slices.
		start = false
	}
	sinks := l.src.sinks.Load()
	if sinks == nil {
		return
	}
	for _, d := range *sinks {
		d.write(l, hdr, payload, start)
	}
}

// rankRID orders simulcast rids from the lowest layer up.
func rankRID(rid string) int {
	switch rid {
	case "", "l", "q", "0":
		return 0
	case "m", "1":
		return 1
	case "h", "f", "2":
		return 2
	}

	return 3
}

// chooseLayer picks, among the live layers, the highest one that fits the
// limits, or the lowest one when none fits. Unknown measurements fit only
// an unlimited value, so a new slot with limits starts low and climbs once
// the layers have been measured.
func chooseLayer(layers []*layer, lim Limits) *layer {
	live := make([]*layer, 0, len(layers))
	for _, l := range layers {
		if l.live.Load() {
			live = append(live, l)
		}
	}
	if len(live) == 0 {
		return nil
	}
	slices.SortStableFunc(live, func(a, b *layer) int {
		if d := rankRID(a.rid) - rankRID(b.rid); d != 0 {
			return d
		}
		if ab, bb := a.bitrate.Load(), b.bitrate.Load(); ab != bb {
			if ab < bb {
				return -1
			}

			return 1
		}

		return b.added.Compare(a.added) // newest first among equals
	})
	for i := len(live) - 1; i > 0; i-- {
		if fits(live[i], lim) {
			return live[i]
		}
	}

	return live[0]
}

func fits(l *layer, lim Limits) bool {
	if lim.MaxFrameArea > 0 {
		if a := l.area(); a == 0 || a > lim.MaxFrameArea {
			return false
		}
	}
	if lim.MaxBitrate > 0 {
		if !l.measured.Load() || l.bitrate.Load() > lim.MaxBitrate {
			return false
		}
	}
	if lim.MaxFrameRate > 0 {
		fps := float64(l.fps.Load()) / 1000
		if !l.measured.Load() || fps > lim.MaxFrameRate*1.1+0.5 {
			return false
		}
	}

	return true
}

// downTrack is the server's own track on one receive slot. It implements
// webrtc.TrackLocal, so pion binds it to the slot's sender, and it turns
// the packets of whichever layer it follows into one continuous stream:
// its own SSRC, the payload type the receiver negotiated for the codec, and
// sequence numbers and timestamps that run on across layer and source
// switches.
type downTrack struct {
	id, streamID string
	kind         webrtc.RTPCodecType
	receiver     string // participant that owns the slot
	packets      atomic.Uint64

	mu        sync.Mutex
	writer    webrtc.TrackLocalWriter
	ssrc      uint32
	pts       map[string]uint8 // codecKey → payload type, from the answer
	src       *source
	label     string
	limits    Limits
	cur       *layer // layer being forwarded
	target    *layer // layer waited for (keyframe)
	haveOut   bool
	startSeq  uint16 // first input sequence number of cur
	fresh     int    // packets forwarded since the switch, up to switchGuard
	seqOff    uint16
	tsOff     uint32
	lastSeq   uint16
	lastTS    uint32
	lastWrite time.Time
	scratch   rtp.Header // the rewritten header, reused per packet
}

var _ webrtc.TrackLocal = (*downTrack)(nil)

// Bind implements webrtc.TrackLocal.
func (d *downTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	codecs := ctx.CodecParameters()
	if len(codecs) == 0 {
		return webrtc.RTPCodecParameters{}, webrtc.ErrUnsupportedCodec
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.writer = ctx.WriteStream()
	d.ssrc = uint32(ctx.SSRC())
	if d.pts == nil {
		pts := make(map[string]uint8, len(codecs))
		for _, c := range codecs {
			key := codecKey(c.MimeType, c.SDPFmtpLine)
			if _, ok := pts[key]; !ok {
				pts[key] = uint8(c.PayloadType)
			}
		}
		d.pts = pts
	}

	return codecs[0], nil
}

// Unbind implements webrtc.TrackLocal.
func (d *downTrack) Unbind(webrtc.TrackLocalContext) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.writer = nil

	return nil
}

// ID implements webrtc.TrackLocal.
func (d *downTrack) ID() string { return d.id }

// RID implements webrtc.TrackLocal.
func (d *downTrack) RID() string { return "" }

// StreamID implements webrtc.TrackLocal.
func (d *downTrack) StreamID() string { return d.streamID }

// Kind implements webrtc.TrackLocal.
func (d *downTrack) Kind() webrtc.RTPCodecType { return d.kind }

// write forwards one packet of layer l if l is the layer this track follows,
// or switches to l on a keyframe if it is the one waited for.
func (d *downTrack) write(l *layer, hdr *rtp.Header, payload []byte, keyframe bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.writer == nil {
		return
	}
	if l != d.cur {
		if l != d.target || !keyframe {
			return
		}
		d.switchTo(l, hdr)
	} else if d.fresh < switchGuard {
		// Shortly after a switch, drop late packets from before it: their
		// rewritten numbers would collide with the previous layer's.
		if int16(hdr.SequenceNumber-d.startSeq) < 0 {
			return
		}
		d.fresh++
	}
	pt, ok := d.pts[l.key]
	if !ok {
		return // the receiver did not accept this codec
	}
	d.scratch = *hdr
	out := &d.scratch
	out.SSRC = d.ssrc
	out.PayloadType = pt
	out.SequenceNumber += d.seqOff
	out.Timestamp += d.tsOff
	out.Extension = false
	out.Extensions = nil
	out.ExtensionProfile = 0
	if _, err := d.writer.WriteRTP(out, payload); err != nil {
		return
	}
	d.packets.Add(1)
	if !d.haveOut || int16(out.SequenceNumber-d.lastSeq) > 0 {
		d.lastSeq, d.lastTS = out.SequenceNumber, out.Timestamp
		d.lastWrite = time.Now()
	}
	d.haveOut = true
}

// switchTo makes l the followed layer, placing its first packet right after
// the last one written. Called with d.mu held.
func (d *downTrack) switchTo(l *layer, hdr *rtp.Header) {
	d.cur, d.target = l, nil
	d.startSeq = hdr.SequenceNumber
	d.fresh = 0
	if !d.haveOut {
		d.seqOff, d.tsOff = 0, 0

		return
	}
	d.seqOff = d.lastSeq + 1 - hdr.SequenceNumber
	ticks := time.Since(d.lastWrite).Seconds() * float64(l.clock)
	delta := uint32(1)
	if ticks >= 1 && ticks < math.MaxUint32/2 {
		delta = uint32(ticks)
	}
	d.tsOff = d.lastTS + delta - hdr.Timestamp
}

// setPayloadTypes records the payload types the answer gave the slot.
// pion v4.2.26 may bind a sender with its own payload type for H.264 when
// the offer lists several H.264 variants, while its answer uses the
// offerer's; the answer is what the receiver decodes with, so it wins.
func (d *downTrack) setPayloadTypes(pts map[string]uint8) {
	if len(pts) == 0 {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.pts = pts
}

// codecKey names a codec for payload type mapping: the lower-case MIME
// type, plus the packetization mode for H.264.
func codecKey(mime, fmtp string) string {
	mime = strings.ToLower(mime)
	if mime != "video/h264" {
		return mime
	}
	mode := "0"
	for _, p := range strings.Split(fmtp, ";") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(p), "packetization-mode="); ok {
			mode = v
		}
	}

	return mime + ";pm=" + mode
}

// answerPayloadTypes reads, per mid, the payload type of each codec in an
// answer.
func answerPayloadTypes(answer string) map[string]map[string]uint8 {
	out := map[string]map[string]uint8{}
	lines, _ := sdpLines(answer)
	var mid string
	names := map[string]string{} // pt → mime, in the current section
	fmtps := map[string]string{}
	flush := func() {
		if mid == "" {
			return
		}
		pts := map[string]uint8{}
		for pt, mime := range names {
			n, err := strconv.ParseUint(pt, 10, 7)
			if err != nil {
				continue
			}
			key := codecKey(mime, fmtps[pt])
			if old, ok := pts[key]; !ok || uint8(n) < old {
				pts[key] = uint8(n)
			}
		}
		out[mid] = pts
	}
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "m="):
			flush()
			mid, names, fmtps = "", map[string]string{}, map[string]string{}
		case strings.HasPrefix(l, "a=mid:"):
			mid = l[len("a=mid:"):]
		case strings.HasPrefix(l, "a=rtpmap:"):
			pt, rest, _ := strings.Cut(l[len("a=rtpmap:"):], " ")
			name, _, _ := strings.Cut(rest, "/")
			kind := "audio/"
			if isVideoCodec(name) {
				kind = "video/"
			}
			names[pt] = kind + name
		case strings.HasPrefix(l, "a=fmtp:"):
			pt, rest, _ := strings.Cut(l[len("a=fmtp:"):], " ")
			fmtps[pt] = rest
		}
	}
	flush()

	return out
}

func isVideoCodec(name string) bool {
	switch strings.ToLower(name) {
	case "vp8", "vp9", "h264", "h265", "av1":
		return true
	}

	return false
}

// bind attaches the track to src (nil: send nothing) with the given limits.
func (d *downTrack) bind(src *source, label string, lim Limits) {
	d.mu.Lock()
	old := d.src
	d.src, d.label, d.limits = src, label, lim
	if old != src {
		d.cur, d.target = nil, nil
	}
	d.mu.Unlock()
	if old == src {
		return
	}
	if old != nil {
		old.removeSink(d)
	}
	if src != nil {
		src.addSink(d)
	}
}

// reselect chooses the layer to follow and asks the publisher for a
// keyframe when that layer is not the one being forwarded.
func (d *downTrack) reselect() {
	d.mu.Lock()
	src, lim := d.src, d.limits
	d.mu.Unlock()
	if src == nil {
		return
	}
	want := chooseLayer(src.snapshotLayers(), lim)

	d.mu.Lock()
	if want == nil || want == d.cur {
		d.target = nil
		d.mu.Unlock()

		return
	}
	d.target = want
	if !want.video {
		// Audio needs no keyframe: the next packet switches.
		d.mu.Unlock()

		return
	}
	d.mu.Unlock()
	want.requestKeyframe()
}

// keyframeRequested handles a PLI or FIR from the receiver.
func (d *downTrack) keyframeRequested() {
	d.mu.Lock()
	l := d.target
	if l == nil {
		l = d.cur
	}
	d.mu.Unlock()
	if l != nil && l.video {
		l.requestKeyframe()
	}
}
