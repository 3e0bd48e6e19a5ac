package sfu

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
	"github.com/stretchr/testify/require"

	"github.com/mindsdk/mindgo/transport/rtc"
)

// continuityGap is the largest sequence-number jump a test accepts where
// it checks that forwarding keeps a stream continuous. Loopback UDP may
// drop a packet on a loaded machine; a renumbering mistake (a layer switch,
// a pause, a reused slot) jumps by far more.
const continuityGap = 8

// The test client plays a Mind client with pion: negotiated data channel,
// offers without candidates, the m-section layout of protocol §4.6 and the
// munging of §4.7 applied to the text it posts.

var clientAPI = sync.OnceValue(func() *webrtc.API {
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		panic(err)
	}
	ir := &interceptor.Registry{}
	if err := webrtc.ConfigureSimulcastExtensionHeaders(m); err != nil {
		panic(err)
	}
	if err := webrtc.ConfigureRTCPReports(ir); err != nil {
		panic(err)
	}
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetPrflxAcceptanceMinWait(0)
	se.LoggerFactory = rtc.NewLoggerFactory(nil)

	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se))
})

// rawTrack is a client track that writes hand-made RTP packets with the
// mid and rid header extensions a simulcast receiver needs.
type rawTrack struct {
	id, streamID, rid string
	kind              webrtc.RTPCodecType
	mime              string
	mid               atomic.Pointer[string]

	mu       sync.Mutex
	writer   webrtc.TrackLocalWriter
	ssrc     uint32
	pt       uint8
	midExt   uint8
	ridExt   uint8
	seq      uint16
	ts       uint32
	keyframe bool
	plis     atomic.Int32
	sent     atomic.Int32
}

func (t *rawTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var chosen *webrtc.RTPCodecParameters
	for _, c := range ctx.CodecParameters() {
		if strings.EqualFold(c.MimeType, t.mime) {
			chosen = &c

			break
		}
	}
	if chosen == nil {
		return webrtc.RTPCodecParameters{}, webrtc.ErrUnsupportedCodec
	}
	for _, e := range ctx.HeaderExtensions() {
		switch e.URI {
		case sdp.SDESMidURI:
			t.midExt = uint8(e.ID)
		case sdp.SDESRTPStreamIDURI:
			t.ridExt = uint8(e.ID)
		}
	}
	t.writer, t.ssrc, t.pt = ctx.WriteStream(), uint32(ctx.SSRC()), uint8(chosen.PayloadType)
	t.keyframe = true

	return *chosen, nil
}

func (t *rawTrack) Unbind(webrtc.TrackLocalContext) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.writer = nil

	return nil
}

func (t *rawTrack) ID() string                { return t.id }
func (t *rawTrack) RID() string               { return t.rid }
func (t *rawTrack) StreamID() string          { return t.streamID }
func (t *rawTrack) Kind() webrtc.RTPCodecType { return t.kind }

// send writes one frame (one packet). Video frames are VP8 with the given
// size on keyframes; a keyframe is sent first and after every PLI.
func (t *rawTrack) send(size int, w, h int, tsStep uint32) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.writer == nil {
		return
	}
	payload := make([]byte, size)
	if strings.EqualFold(t.mime, webrtc.MimeTypeH264) {
		payload = h264Payload(payload, t.keyframe, w, h)
		t.keyframe = false
	} else if t.kind == webrtc.RTPCodecTypeVideo {
		payload[0] = 0x10 // S=1, partition 0
		if t.keyframe {
			payload[1] = 0x00 // P=0: keyframe
			copy(payload[4:7], []byte{0x9d, 0x01, 0x2a})
			binary.LittleEndian.PutUint16(payload[7:9], uint16(w))
			binary.LittleEndian.PutUint16(payload[9:11], uint16(h))
			t.keyframe = false
		} else {
			payload[1] = 0x01
		}
	}
	hdr := rtp.Header{Version: 2, PayloadType: t.pt, SequenceNumber: t.seq, Timestamp: t.ts, SSRC: t.ssrc, Marker: true}
	if mid := t.mid.Load(); mid != nil && t.midExt != 0 {
		_ = hdr.SetExtension(t.midExt, []byte(*mid))
	}
	if t.rid != "" && t.ridExt != 0 {
		_ = hdr.SetExtension(t.ridExt, []byte(t.rid))
	}
	t.seq++
	t.ts += tsStep
	if _, err := t.writer.WriteRTP(&hdr, payload); err == nil {
		t.sent.Add(1)
	}
}

func (t *rawTrack) pli() {
	t.plis.Add(1)
	t.mu.Lock()
	t.keyframe = true
	t.mu.Unlock()
}

// publication is one of positions 1–4 of a test client.
type publication struct {
	rtcp   sync.Once
	tr     *webrtc.RTPTransceiver
	tracks []*rawTrack // one, or the simulcast layers l, m
	active atomic.Bool
}

// subscription is a receive slot of a test client.
type subscription struct {
	tr      *webrtc.RTPTransceiver
	label   string
	extra   []string // b=TIAS, a=x-preferences lines
	active  bool
	packets atomic.Int64
	bytes   atomic.Int64
	size    atomic.Uint64 // last keyframe width<<32|height
	maxGap  atomic.Int32  // largest sequence jump seen
	ssrcs   sync.Map
	h264    atomic.Bool // the slot received H.264
}

type testClient struct {
	t     testing.TB
	room  *Room
	offer func(ctx context.Context, pid, sdp string) (string, error)
	pid   string
	// videoMime is the codec of the video publications (default VP8).
	videoMime string
	pc        *webrtc.PeerConnection
	dc        *webrtc.DataChannel
	open      chan struct{}

	mu   sync.Mutex
	pubs [5]*publication // index = position
	subs []*subscription
	wg   sync.WaitGroup
	stop chan struct{}
}

func newTestClient(t testing.TB, room *Room, pid string) *testClient {
	t.Helper()
	pc, err := clientAPI().NewPeerConnection(webrtc.Configuration{})
	require.NoError(t, err)
	negotiated, id, ordered := true, uint16(1), true
	dc, err := pc.CreateDataChannel("", &webrtc.DataChannelInit{Negotiated: &negotiated, ID: &id, Ordered: &ordered})
	require.NoError(t, err)
	c := &testClient{t: t, room: room, pid: pid, pc: pc, dc: dc, open: make(chan struct{}), stop: make(chan struct{})}
	if room != nil {
		c.offer = room.Offer
	}
	var once sync.Once
	dc.OnOpen(func() { once.Do(func() { close(c.open) }) })
	pc.OnTrack(c.onTrack)
	t.Cleanup(c.close)

	return c
}

func (c *testClient) close() {
	select {
	case <-c.stop:
	default:
		close(c.stop)
	}
	_ = c.pc.Close()
	c.wg.Wait()
}

// connect sends the data-channel-only first offer and waits for the channel.
func (c *testClient) connect(ctx context.Context) {
	c.t.Helper()
	offer, err := c.pc.CreateOffer(nil)
	require.NoError(c.t, err)
	gathered := webrtc.GatheringCompletePromise(c.pc)
	require.NoError(c.t, c.pc.SetLocalDescription(offer))
	select {
	case <-gathered:
	case <-ctx.Done():
		c.t.Fatal("gathering did not complete")
	}
	text := stripHostCandidates(c.pc.LocalDescription().SDP)
	answer, err := c.offer(ctx, c.pid, text)
	require.NoError(c.t, err)
	require.NoError(c.t, c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}))
	select {
	case <-c.open:
	case <-ctx.Done():
		c.t.Fatal("data channel did not open")
	}
}

func stripHostCandidates(text string) string {
	lines, eol := sdpLines(text)
	kept := lines[:0]
	for _, l := range lines {
		if strings.HasPrefix(l, "a=candidate:") && strings.Contains(l, " typ host") {
			continue
		}
		kept = append(kept, l)
	}

	return joinLines(kept, eol)
}

// addPublications adds positions 1–4, all inactive: primary audio, primary
// video (simulcast l and m), secondary audio, secondary video.
func (c *testClient) addPublications() {
	c.t.Helper()
	for pos := 1; pos <= 4; pos++ {
		stream := "me#primary"
		if pos > 2 {
			stream = "me#secondary"
		}
		kind, mime := webrtc.RTPCodecTypeAudio, webrtc.MimeTypeOpus
		if pos%2 == 0 {
			kind, mime = webrtc.RTPCodecTypeVideo, webrtc.MimeTypeVP8
			if c.videoMime != "" {
				mime = c.videoMime
			}
		}
		rids := []string{""}
		if kind == webrtc.RTPCodecTypeVideo {
			rids = []string{"l", "m"}
		}
		pub := &publication{}
		for _, rid := range rids {
			pub.tracks = append(pub.tracks, &rawTrack{
				id: fmt.Sprintf("%s-t%d", c.pid, pos), streamID: stream, rid: rid, kind: kind, mime: mime,
			})
		}
		tr, err := c.pc.AddTransceiverFromTrack(pub.tracks[0],
			webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
		require.NoError(c.t, err)
		for _, extra := range pub.tracks[1:] {
			require.NoError(c.t, tr.Sender().AddEncoding(extra))
		}
		pub.tr = tr
		c.pubs[pos] = pub
	}
}

// readRTCP counts PLIs per layer. It runs only for publications that were
// published: pion v4.2.26 neither closes the RTCP stream of a sender that
// never sent nor accepts a read deadline on it, and such a reader would
// outlive the connection.
func (c *testClient) readRTCP(pub *publication) {
	sender := pub.tr.Sender()
	for _, tr := range pub.tracks {
		c.wg.Go(func() {
			for {
				var (
					pkts []rtcp.Packet
					err  error
				)
				if tr.rid != "" {
					pkts, _, err = sender.ReadSimulcastRTCP(tr.rid)
				} else {
					pkts, _, err = sender.ReadRTCP()
				}
				if err != nil {
					return
				}
				for _, p := range pkts {
					if _, ok := p.(*rtcp.PictureLossIndication); ok {
						tr.pli()
					}
				}
			}
		})
	}
}

// subscribe adds a receive slot for a stream label (active from the next
// offer).
func (c *testClient) subscribe(kind webrtc.RTPCodecType, label string, extra ...string) *subscription {
	c.t.Helper()
	tr, err := c.pc.AddTransceiverFromKind(kind,
		webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly})
	require.NoError(c.t, err)
	s := &subscription{tr: tr, label: label, extra: extra, active: true}
	c.mu.Lock()
	c.subs = append(c.subs, s)
	c.mu.Unlock()

	return s
}

// setSub changes a slot's label, limits or activity for the next offer.
func (c *testClient) setSub(s *subscription, active bool, label string, extra ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s.active, s.label, s.extra = active, label, extra
}

// renegotiate posts a munged offer and applies the answer.
func (c *testClient) renegotiate(ctx context.Context) string {
	c.t.Helper()
	offer, err := c.pc.CreateOffer(nil)
	require.NoError(c.t, err)
	require.NoError(c.t, c.pc.SetLocalDescription(offer))
	for pos := 1; pos <= 4; pos++ {
		if pub := c.pubs[pos]; pub != nil {
			mid := pub.tr.Mid()
			for _, tr := range pub.tracks {
				tr.mid.Store(&mid)
			}
		}
	}
	text := c.munge(stripHostCandidates(c.pc.LocalDescription().SDP))
	answer, err := c.offer(ctx, c.pid, text)
	require.NoError(c.t, err)
	require.NoError(c.t, c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}))

	return answer
}

func (c *testClient) munge(text string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	byMid := map[string]*subscription{}
	for _, s := range c.subs {
		byMid[s.tr.Mid()] = s
	}

	return rewriteSections(text, func(pos int, section []string) []string {
		var msid string
		var dir Direction
		var extra []string
		switch {
		case pos <= 4 && c.pubs[pos] != nil:
			pub := c.pubs[pos]
			if pub.active.Load() {
				return section
			}
			dir, msid = Inactive, fmt.Sprintf("- %d", pos)
		default:
			s := byMid[midOf(section)]
			if s == nil {
				return section
			}
			dir, msid = RecvOnly, s.label+" recv-"+s.tr.Mid()
			extra = s.extra
			if !s.active {
				dir, msid, extra = Inactive, fmt.Sprintf("- %d", pos), nil
			}
		}
		out := make([]string, 0, len(section)+3)
		for _, l := range section {
			if strings.HasPrefix(l, "a=msid:") || (dir == Inactive && (strings.HasPrefix(l, "a=ssrc:") ||
				strings.HasPrefix(l, "a=ssrc-group:"))) {
				continue
			}
			out = append(out, l)
			if strings.HasPrefix(l, "a=mid:") {
				out = append(out, "a=msid:"+msid)
			}
		}
		out = setDirection(out, dir)

		return append(out, extra...)
	})
}

func midOf(section []string) string {
	for _, l := range section {
		if v, ok := strings.CutPrefix(l, "a=mid:"); ok {
			return v
		}
	}

	return ""
}

func (c *testClient) onTrack(track *webrtc.TrackRemote, receiver *webrtc.RTPReceiver) {
	c.mu.Lock()
	var sub *subscription
	for _, s := range c.subs {
		if s.tr.Receiver() == receiver {
			sub = s
		}
	}
	c.mu.Unlock()
	if sub == nil {
		return
	}
	c.wg.Go(func() {
		buf := make([]byte, 1500)
		var pkt rtp.Packet
		var last uint16
		first := true
		for {
			n, _, err := track.Read(buf)
			if err != nil {
				return
			}
			if pkt.Unmarshal(buf[:n]) != nil {
				continue
			}
			sub.packets.Add(1)
			sub.bytes.Add(int64(n))
			sub.ssrcs.Store(pkt.SSRC, true)
			if !first {
				gap := int32(int16(pkt.SequenceNumber - last))
				if gap > sub.maxGap.Load() {
					sub.maxGap.Store(gap)
				}
			}
			first, last = false, pkt.SequenceNumber
			inspect := inspectVP8
			if strings.EqualFold(track.Codec().MimeType, webrtc.MimeTypeH264) {
				inspect = inspectH264
				sub.h264.Store(true)
			}
			if info := inspect(pkt.Payload); info.width > 0 {
				sub.size.Store(uint64(info.width)<<32 | uint64(info.height))
			}
		}
	})
}

// publish starts pacing packets on a position until the client closes:
// audio every 20 ms; video 20 frames/s, layer l 320×180 ≈ 40 kbit/s,
// layer m 640×360 ≈ 200 kbit/s.
func (c *testClient) publish(pos int) {
	pub := c.pubs[pos]
	pub.active.Store(true)
	pub.rtcp.Do(func() { c.readRTCP(pub) })
	c.wg.Go(func() {
		interval := 20 * time.Millisecond
		if pub.tracks[0].kind == webrtc.RTPCodecTypeVideo {
			interval = 50 * time.Millisecond
		}
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-c.stop:
				return
			case <-tick.C:
			}
			if !pub.active.Load() {
				continue
			}
			for _, tr := range pub.tracks {
				switch tr.rid {
				case "":
					if tr.kind == webrtc.RTPCodecTypeAudio {
						tr.send(80, 0, 0, 960)
					} else {
						tr.send(250, 320, 180, 4500)
					}
				case "l":
					tr.send(250, 320, 180, 4500)
				case "m":
					tr.send(1250, 640, 360, 4500)
				}
			}
		}
	})
}

// waitUntil polls cond until it holds or the context ends.
func waitUntil(ctx context.Context, t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-tick.C:
		}
	}
}

func sizeOf(v uint64) string { return fmt.Sprintf("%dx%d", v>>32, v&0xffffffff) }

// h264Payload fills an H.264 RTP payload of len(buf) bytes: a STAP-A with
// an SPS of w×h and an IDR slice for a keyframe, else a non-IDR slice.
func h264Payload(buf []byte, keyframe bool, w, h int) []byte {
	if !keyframe {
		buf[0] = 0x41

		return buf
	}
	mbW, mbH := uint32(w+15)/16, uint32(h+15)/16
	sps := testSPS(mbW, mbH, mbH*16-uint32(h))
	out := []byte{0x78}
	out = binary.BigEndian.AppendUint16(out, uint16(len(sps)))
	out = append(out, sps...)
	idr := make([]byte, max(len(buf)-len(out)-2, 2))
	idr[0] = 0x65
	out = binary.BigEndian.AppendUint16(out, uint16(len(idr)))

	return append(out, idr...)
}
