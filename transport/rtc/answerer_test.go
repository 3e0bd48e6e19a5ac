package rtc

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"
)

// loopbackOnly restricts pion to UDP over loopback, without mDNS.
func loopbackOnly(s *webrtc.SettingEngine) {
	s.SetIncludeLoopbackCandidate(true)
	s.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	s.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
}

func testConfig() Config {
	return Config{IncludeLoopback: true, ConfigureSettingEngine: loopbackOnly}
}

// answerer is a small pion server for the tests: it answers the client's
// offers as protocol §4.11 asks, receives publications and sends one
// generated track per receive slot, labelled with the slot's msid.
//
// pion stops a transceiver for good when an existing section is offered
// inactive (protocol §4.13). The answerer avoids that by applying inactive
// sections as active (sendonly for publications, recvonly for slots) and
// writing "inactive" back into the answer it returns.
type answerer struct {
	t    testing.TB
	pc   *webrtc.PeerConnection
	dc   *webrtc.DataChannel
	open chan struct{}
	msgs chan string

	mu       sync.Mutex
	slots    map[string]*webrtc.TrackLocalStaticRTP // mid → track sent
	received map[string]int                         // "mid/rid" → packets
	streams  map[string]string                      // "mid/rid" → stream ID seen
	ssrcs    map[string]webrtc.SSRC                 // "mid/rid" → SSRC seen
	byCodec  map[string]int                         // "mid/rid mime" → packets

	stop   chan struct{}
	wg     sync.WaitGroup
	tracks []*webrtc.TrackRemote
	closed bool
}

func newAnswererAPI(t testing.TB) *webrtc.API {
	t.Helper()

	return newAnswererAPIWith(t, func(s *webrtc.SettingEngine) {
		// The client sends no candidates: it is learnt as peer-reflexive,
		// and a wait before accepting such candidates would stall joins.
		s.SetPrflxAcceptanceMinWait(0)
	})
}

func newAnswererAPIWith(t testing.TB, configure func(*webrtc.SettingEngine)) *webrtc.API {
	t.Helper()
	media := &webrtc.MediaEngine{}
	if err := media.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	registry := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(media, registry); err != nil {
		t.Fatal(err)
	}
	settings := webrtc.SettingEngine{}
	loopbackOnly(&settings)
	configure(&settings)

	return webrtc.NewAPI(webrtc.WithMediaEngine(media), webrtc.WithInterceptorRegistry(registry),
		webrtc.WithSettingEngine(settings))
}

func newAnswerer(t testing.TB, api *webrtc.API) *answerer {
	t.Helper()
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	negotiated, id := true, uint16(1)
	dc, err := pc.CreateDataChannel("", &webrtc.DataChannelInit{Negotiated: &negotiated, ID: &id})
	if err != nil {
		t.Fatal(err)
	}
	a := &answerer{
		t: t, pc: pc, dc: dc,
		open:     make(chan struct{}),
		msgs:     make(chan string, 16),
		slots:    make(map[string]*webrtc.TrackLocalStaticRTP),
		received: make(map[string]int),
		streams:  make(map[string]string),
		ssrcs:    make(map[string]webrtc.SSRC),
		byCodec:  make(map[string]int),
		stop:     make(chan struct{}),
	}
	var once sync.Once
	dc.OnOpen(func() { once.Do(func() { close(a.open) }) })
	dc.OnMessage(func(m webrtc.DataChannelMessage) {
		select {
		case a.msgs <- string(m.Data):
		default:
		}
	})
	pc.OnTrack(a.onTrack)
	a.wg.Add(1)
	go a.sendLoop()
	t.Cleanup(a.close)

	return a
}

func (a *answerer) close() {
	select {
	case <-a.stop:
		return
	default:
	}
	close(a.stop)
	a.mu.Lock()
	a.closed = true
	a.mu.Unlock()
	_ = a.pc.GracefulClose()
	// pion may leave a replaced receiver's stream open; end the readers.
	a.mu.Lock()
	for _, tr := range a.tracks {
		_ = tr.SetReadDeadline(time.Unix(1, 0))
	}
	a.mu.Unlock()
	a.wg.Wait()
}

func (a *answerer) onTrack(track *webrtc.TrackRemote, receiver *webrtc.RTPReceiver) {
	mid := ""
	for _, t := range a.pc.GetTransceivers() {
		if t.Receiver() == receiver {
			mid = t.Mid()
		}
	}
	key := mid + "/" + track.RID()
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()

		return
	}
	a.tracks = append(a.tracks, track)
	a.streams[key] = track.StreamID()
	a.ssrcs[key] = track.SSRC()
	a.mu.Unlock()

	buf := make([]byte, 1500)
	for {
		if _, _, err := track.Read(buf); err != nil {
			return
		}
		// pion updates the track's codec from each packet's payload type.
		mime := strings.ToLower(track.Codec().MimeType)
		a.mu.Lock()
		a.received[key]++
		a.byCodec[key+" "+mime]++
		a.mu.Unlock()
	}
}

// packets returns how many packets arrived on mid with rid ("" for audio).
func (a *answerer) packets(mid, rid string) int {
	a.mu.Lock()
	defer a.mu.Unlock()

	return a.received[mid+"/"+rid]
}

// codecPackets returns how many packets of a codec (a MIME type) arrived
// on mid with rid.
func (a *answerer) codecPackets(mid, rid, mime string) int {
	a.mu.Lock()
	defer a.mu.Unlock()

	return a.byCodec[mid+"/"+rid+" "+strings.ToLower(mime)]
}

// sendLoop writes a packet on every slot track every 10 ms.
func (a *answerer) sendLoop() {
	defer a.wg.Done()
	ticker := time.NewTicker(10 * time.Millisecond)
	defer ticker.Stop()
	var seq uint16
	for {
		select {
		case <-a.stop:
			return
		case <-ticker.C:
		}
		seq++
		a.mu.Lock()
		tracks := make([]*webrtc.TrackLocalStaticRTP, 0, len(a.slots))
		// Parked slots are served too, as a server might for a while.
		for _, tr := range a.slots {
			tracks = append(tracks, tr)
		}
		a.mu.Unlock()
		for _, tr := range tracks {
			_ = tr.WriteRTP(&rtp.Packet{
				Header:  rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: uint32(seq) * 900, Marker: true},
				Payload: []byte{0x10, 0x00, 0x9d, 0x01, 0x2a},
			})
		}
	}
}

type offeredSection struct {
	mid, kind, direction, stream string
	position                     int
}

func parseSections(offer string) []offeredSection {
	_, sections, err := splitSDP(offer)
	if err != nil {
		return nil
	}
	out := make([]offeredSection, 0, len(sections))
	for i, lines := range sections {
		s := offeredSection{position: i, kind: strings.Fields(strings.TrimPrefix(lines[0], "m="))[0]}
		for _, l := range lines {
			switch {
			case strings.HasPrefix(l, "a=mid:"):
				s.mid = strings.TrimPrefix(l, "a=mid:")
			case isDirection(l):
				s.direction = strings.TrimPrefix(l, "a=")
			case strings.HasPrefix(l, "a=msid:"):
				s.stream = strings.Fields(strings.TrimPrefix(l, "a=msid:"))[0]
			}
		}
		out = append(out, s)
	}

	return out
}

// setDirection rewrites the direction of the section with this mid.
func setDirection(sdpText, mid, direction string) string {
	session, sections, err := splitSDP(sdpText)
	if err != nil {
		return sdpText
	}
	var b strings.Builder
	writeLines(&b, session)
	for _, lines := range sections {
		if slicesContains(lines, "a=mid:"+mid) {
			for i, l := range lines {
				if isDirection(l) {
					lines[i] = "a=" + direction
				}
			}
		}
		writeLines(&b, lines)
	}

	return b.String()
}

func slicesContains(lines []string, want string) bool {
	for _, l := range lines {
		if l == want {
			return true
		}
	}

	return false
}

// answer answers one offer; it waits for the answerer's candidates.
func (a *answerer) answer(ctx context.Context, offer string) (string, error) {
	sections := parseSections(offer)
	applied := offer
	var flipped []string
	for _, s := range sections {
		if s.position == 0 || s.direction != dirInactive {
			continue
		}
		to := dirRecvonly
		if s.position <= 4 {
			to = dirSendonly
		}
		applied = setDirection(applied, s.mid, to)
		flipped = append(flipped, s.mid)
	}

	if err := a.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: applied}); err != nil {
		return "", err
	}
	for _, s := range sections {
		if s.position < 5 {
			continue
		}
		if err := a.ensureSlotTrack(s); err != nil {
			return "", err
		}
	}
	answer, err := a.pc.CreateAnswer(nil)
	if err != nil {
		return "", err
	}
	gathered := webrtc.GatheringCompletePromise(a.pc)
	if err := a.pc.SetLocalDescription(answer); err != nil {
		return "", err
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	text := a.pc.LocalDescription().SDP
	for _, mid := range flipped {
		text = setDirection(text, mid, dirInactive)
	}

	return text, nil
}

func (a *answerer) ensureSlotTrack(s offeredSection) error {
	a.mu.Lock()
	_, ok := a.slots[s.mid]
	a.mu.Unlock()
	if ok {
		return nil
	}
	codec := webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}
	if s.kind == "video" {
		codec = webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}
	}
	stream := s.stream
	if stream == "" || stream == "-" {
		stream = "none"
	}
	track, err := webrtc.NewTrackLocalStaticRTP(codec, "srv-"+s.mid, stream)
	if err != nil {
		return err
	}
	sender, err := a.pc.AddTrack(track)
	if err != nil {
		return err
	}
	for _, t := range a.pc.GetTransceivers() {
		if t.Sender() == sender && t.Mid() != s.mid {
			return errors.New("answerer: track for mid " + s.mid + " landed on mid " + t.Mid())
		}
	}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		buf := make([]byte, 1500)
		for {
			if _, _, err := sender.Read(buf); err != nil {
				return
			}
		}
	}()
	a.mu.Lock()
	a.slots[s.mid] = track
	a.mu.Unlock()

	return nil
}

// negotiate runs one round between c and a and returns the offer sent.
func negotiate(ctx context.Context, t testing.TB, c *Conn, a *answerer) Offer {
	t.Helper()
	offer, err := c.CreateOffer(ctx)
	if err != nil {
		t.Fatalf("CreateOffer: %v", err)
	}
	answer, err := a.answer(ctx, offer.SDP)
	if err != nil {
		t.Fatalf("answer: %v\noffer:\n%s", err, offer.SDP)
	}
	if err := c.ApplyAnswer(answer); err != nil {
		t.Fatalf("ApplyAnswer: %v\nanswer:\n%s", err, answer)
	}

	return offer
}

// events collects a Conn's handler calls.
type events struct {
	open     chan struct{}
	messages chan string
	failed   chan error
	dcClosed chan struct{}
	tracks   chan trackEvent
	keyframe chan string
}

type trackEvent struct {
	mid   string
	track *webrtc.TrackRemote
}

func newEvents() *events {
	return &events{
		open:     make(chan struct{}, 4),
		messages: make(chan string, 16),
		failed:   make(chan error, 4),
		dcClosed: make(chan struct{}, 4),
		tracks:   make(chan trackEvent, 16),
		keyframe: make(chan string, 16),
	}
}

func (e *events) handlers() Handlers {
	return Handlers{
		OnDataChannelOpen:  func() { e.open <- struct{}{} },
		OnMessage:          func(b []byte) { e.messages <- string(b) },
		OnDataChannelClose: func() { e.dcClosed <- struct{}{} },
		OnFailed:           func(err error) { e.failed <- err },
		OnTrack: func(mid string, track *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
			select {
			case e.tracks <- trackEvent{mid: mid, track: track}:
			default:
			}
		},
		OnKeyframeRequest: func(which Publication, rid string) {
			select {
			case e.keyframe <- which.String() + "/" + rid:
			default:
			}
		},
	}
}

// waitFor polls cond until it holds or ctx ends.
func waitFor(ctx context.Context, t testing.TB, what string, cond func() bool) {
	t.Helper()
	ticker := time.NewTicker(5 * time.Millisecond)
	defer ticker.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-ticker.C:
		}
	}
}

func receive[T any](ctx context.Context, t testing.TB, what string, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-ctx.Done():
		t.Fatalf("timed out waiting for %s", what)
	}
	var zero T

	return zero
}

// connect builds a client Conn and an answerer and opens the data channel.
func connect(ctx context.Context, t testing.TB, engine *Engine, api *webrtc.API) (*Conn, *answerer, *events) {
	t.Helper()
	ev := newEvents()
	c, err := engine.NewConn(ev.handlers())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	a := newAnswerer(t, api)
	negotiate(ctx, t, c, a)
	receive(ctx, t, "data channel open", ev.open)

	return c, a, ev
}

func mustEngine(t testing.TB) *Engine {
	t.Helper()
	e, err := NewEngine(testConfig())
	if err != nil {
		t.Fatal(err)
	}

	return e
}

func newTestTrack(t testing.TB, kind webrtc.RTPCodecType, rid string) *webrtc.TrackLocalStaticRTP {
	t.Helper()
	codec := webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}
	id := "mic"
	if kind == webrtc.RTPCodecTypeVideo {
		codec = webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}
		id = "cam"
	}
	var opts []func(*webrtc.TrackLocalStaticRTP)
	if rid != "" {
		opts = append(opts, webrtc.WithRTPStreamID(rid))
	}
	track, err := webrtc.NewTrackLocalStaticRTP(codec, id, "local", opts...)
	if err != nil {
		t.Fatal(err)
	}

	return track
}

// pump writes a packet to every track every 10 ms until ctx ends.
func pump(ctx context.Context, wg *sync.WaitGroup, tracks ...*webrtc.TrackLocalStaticRTP) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		ticker := time.NewTicker(10 * time.Millisecond)
		defer ticker.Stop()
		var seq uint16
		for {
			select {
			case <-ctx.Done():
				return
			case <-ticker.C:
			}
			seq++
			for _, tr := range tracks {
				_ = tr.WriteRTP(&rtp.Packet{
					Header:  rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: uint32(seq) * 960, Marker: true},
					Payload: []byte{0x10, 0x00, 0x9d, 0x01, 0x2a, byte(seq)},
				})
			}
		}
	}()
}

func mediaSample(data []byte) media.Sample {
	return media.Sample{Data: data, Duration: 10 * time.Millisecond}
}
