package mindtest

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/mindsdk/mindgo/transport"
)

// rtcClient is a minimal Mind client on pion, enough to exercise the
// server's media side over HTTP: the negotiated data channel (id 1,
// label "", ordered), offers without host candidates, positions 1–4 and
// receive slots whose a=msid names the stream (protocol §4.6, §4.7).

var rtcClientAPI = sync.OnceValue(func() *webrtc.API {
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		panic(err)
	}
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetICETimeouts(2*time.Second, 4*time.Second, 500*time.Millisecond)

	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithSettingEngine(se))
})

type rtcClient struct {
	t     testing.TB
	conf  *Conference
	token string
	pc    *webrtc.PeerConnection
	dc    *webrtc.DataChannel

	msgs    chan string   // data channel texts, in order
	open    chan struct{} // closed when the data channel opens
	dcDone  chan struct{} // closed when the data channel closes
	pcDone  chan struct{} // closed when the connection fails or closes
	inbound sync.WaitGroup

	mu       sync.Mutex
	inactive map[string]bool   // mids offered inactive
	labels   map[string]string // mid → receive-slot stream label
	received map[string]*atomic.Int64
	widths   map[string]*atomic.Int32 // label+"/video" → width of the last VP8 keyframe
	width    int                      // of the keyframes publish sends; 320 when 0
	audio    *webrtc.TrackLocalStaticRTP
	video    *webrtc.TrackLocalStaticRTP
}

func newRTCClient(t testing.TB, c *Conference, token string) *rtcClient {
	t.Helper()
	pc, err := rtcClientAPI().NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatalf("NewPeerConnection: %v", err)
	}
	negotiated, id, ordered := true, uint16(1), true
	dc, err := pc.CreateDataChannel("", &webrtc.DataChannelInit{Negotiated: &negotiated, ID: &id, Ordered: &ordered})
	if err != nil {
		t.Fatalf("CreateDataChannel: %v", err)
	}
	cl := &rtcClient{
		t: t, conf: c, token: token, pc: pc, dc: dc,
		msgs: make(chan string, 4096), open: make(chan struct{}), dcDone: make(chan struct{}),
		pcDone: make(chan struct{}), inactive: map[string]bool{}, labels: map[string]string{},
		received: map[string]*atomic.Int64{}, widths: map[string]*atomic.Int32{},
	}
	var openOnce, dcOnce, pcOnce sync.Once
	dc.OnOpen(func() { openOnce.Do(func() { close(cl.open) }) })
	dc.OnClose(func() { dcOnce.Do(func() { close(cl.dcDone) }) })
	dc.OnMessage(func(m webrtc.DataChannelMessage) {
		if m.IsString {
			select {
			case cl.msgs <- string(m.Data):
			default:
			}
		}
	})
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateFailed || s == webrtc.PeerConnectionStateClosed {
			pcOnce.Do(func() { close(cl.pcDone) })
		}
	})
	pc.OnTrack(cl.onTrack)
	t.Cleanup(cl.close)

	return cl
}

func (cl *rtcClient) close() {
	_ = cl.pc.Close()
	cl.inbound.Wait()
}

// offer creates an offer, waits for gathering and returns the text to
// post: host candidates stripped and munged for positions and slots.
func (cl *rtcClient) offer(ctx context.Context) string {
	cl.t.Helper()
	o, err := cl.pc.CreateOffer(nil)
	if err != nil {
		cl.t.Fatalf("CreateOffer: %v", err)
	}
	gathered := webrtc.GatheringCompletePromise(cl.pc)
	if err := cl.pc.SetLocalDescription(o); err != nil {
		cl.t.Fatalf("SetLocalDescription: %v", err)
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		cl.t.Fatal("gathering did not complete")
	}

	return cl.munge(cl.pc.LocalDescription().SDP)
}

// munge strips host candidates, marks parked publications inactive and
// names the stream of every receive slot.
func (cl *rtcClient) munge(text string) string {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	lines := strings.Split(strings.TrimRight(text, "\r\n"), "\r\n")
	out := make([]string, 0, len(lines)+8)
	mid := ""
	for _, l := range lines {
		if strings.HasPrefix(l, "m=") {
			mid = ""
		}
		switch {
		case strings.HasPrefix(l, "a=candidate:") && strings.Contains(l, " typ host"):
			continue
		case strings.HasPrefix(l, "a=mid:"):
			mid = strings.TrimPrefix(l, "a=mid:")
			out = append(out, l)
			if label, ok := cl.labels[mid]; ok {
				out = append(out, "a=msid:"+label+" recv-"+mid)
			}
			continue
		case mid != "" && cl.inactive[mid] && (l == "a=recvonly" || l == "a=sendonly" || l == "a=sendrecv"):
			out = append(out, "a=inactive")
			continue
		case mid != "" && strings.HasPrefix(l, "a=msid:") && cl.labels[mid] != "":
			continue
		}
		out = append(out, l)
	}

	return strings.Join(out, "\r\n") + "\r\n"
}

// post sends an offer with R2 and returns the status and the answer (or
// the error body).
func (cl *rtcClient) post(sdp string) (int, string) {
	cl.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	body, err := json.Marshal(transport.SDP{SDP: sdp})
	if err != nil {
		cl.t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base(cl.conf)+"/", bytes.NewReader(body))
	if err != nil {
		cl.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+cl.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cl.t.Fatalf("POST /: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		cl.t.Fatalf("POST /: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, string(b)
	}
	var answer transport.SDP
	if err := json.Unmarshal(b, &answer); err != nil {
		cl.t.Fatalf("POST /: %v", err)
	}

	return resp.StatusCode, answer.SDP
}

// negotiate runs one offer/answer round and applies the answer.
func (cl *rtcClient) negotiate(ctx context.Context) string {
	cl.t.Helper()
	status, answer := cl.post(cl.offer(ctx))
	if status != http.StatusOK {
		cl.t.Fatalf("POST /: status %d: %s", status, answer)
	}
	if err := cl.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		cl.t.Fatalf("SetRemoteDescription: %v", err)
	}

	return answer
}

// connect runs the first round (data channel only) and waits for the
// channel to open.
func (cl *rtcClient) connect(ctx context.Context) {
	cl.t.Helper()
	cl.negotiate(ctx)
	select {
	case <-cl.open:
	case <-ctx.Done():
		cl.t.Fatal("data channel did not open")
	}
}

// addPublications adds positions 1–4. With publish, primary audio and
// video carry tracks (sendonly); every other position is inactive.
func (cl *rtcClient) addPublications(publish bool) {
	cl.t.Helper()
	add := func(kind webrtc.RTPCodecType, track webrtc.TrackLocal) {
		var tr *webrtc.RTPTransceiver
		var err error
		if track != nil {
			tr, err = cl.pc.AddTransceiverFromTrack(track,
				webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
		} else {
			tr, err = cl.pc.AddTransceiverFromKind(kind,
				webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly})
		}
		if err != nil {
			cl.t.Fatalf("AddTransceiver: %v", err)
		}
		if track == nil {
			cl.mu.Lock()
			cl.inactive[cl.nextMid()] = true
			cl.mu.Unlock()
		}
		_ = tr
	}
	var audio, video webrtc.TrackLocal
	if publish {
		var err error
		cl.audio, err = webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus}, "a", "me#primary")
		if err != nil {
			cl.t.Fatal(err)
		}
		cl.video, err = webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "v", "me#primary")
		if err != nil {
			cl.t.Fatal(err)
		}
		audio, video = cl.audio, cl.video
	}
	add(webrtc.RTPCodecTypeAudio, audio)
	add(webrtc.RTPCodecTypeVideo, video)
	add(webrtc.RTPCodecTypeAudio, nil)
	add(webrtc.RTPCodecTypeVideo, nil)
}

// nextMid is the mid pion gives the transceiver just added: mids are
// numbered in order, the data channel being 0.
func (cl *rtcClient) nextMid() string {
	return fmt.Sprint(len(cl.pc.GetTransceivers()))
}

// subscribe adds a receive slot for a stream label; it counts the RTP
// packets that arrive on it under label+"/"+kind.
func (cl *rtcClient) subscribe(kind webrtc.RTPCodecType, label string) {
	cl.t.Helper()
	if _, err := cl.pc.AddTransceiverFromKind(kind,
		webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		cl.t.Fatalf("AddTransceiver: %v", err)
	}
	cl.mu.Lock()
	cl.labels[cl.nextMid()] = label
	cl.received[label+"/"+kind.String()] = &atomic.Int64{}
	cl.widths[label+"/"+kind.String()] = &atomic.Int32{}
	cl.mu.Unlock()
}

func (cl *rtcClient) onTrack(track *webrtc.TrackRemote, receiver *webrtc.RTPReceiver) {
	mid := ""
	for _, tr := range cl.pc.GetTransceivers() {
		if tr.Receiver() == receiver {
			mid = tr.Mid()
		}
	}
	cl.mu.Lock()
	key := cl.labels[mid] + "/" + track.Kind().String()
	n, w := cl.received[key], cl.widths[key]
	cl.mu.Unlock()
	if n == nil {
		return
	}
	cl.inbound.Go(func() {
		var pkt rtp.Packet
		buf := make([]byte, 1500)
		for {
			size, _, err := track.Read(buf)
			if err != nil {
				return
			}
			n.Add(1)
			if pkt.Unmarshal(buf[:size]) == nil {
				if width, ok := vp8KeyframeWidth(pkt.Payload); ok {
					w.Store(int32(width))
				}
			}
		}
	})
}

// lastWidth returns the width of the last VP8 keyframe received for a
// label.
func (cl *rtcClient) lastWidth(label string) int {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if w := cl.widths[label+"/video"]; w != nil {
		return int(w.Load())
	}

	return 0
}

// vp8KeyframeWidth reads the width of a keyframe made by vp8Keyframe.
func vp8KeyframeWidth(p []byte) (int, bool) {
	if len(p) < 11 || p[0] != 0x10 || p[1]&0x01 != 0 || p[4] != 0x9d || p[5] != 0x01 || p[6] != 0x2a {
		return 0, false
	}

	return int(binary.LittleEndian.Uint16(p[7:9]) & 0x3fff), true
}

// packets returns how many RTP packets arrived for a label and kind.
func (cl *rtcClient) packets(label string, kind webrtc.RTPCodecType) int64 {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if n := cl.received[label+"/"+kind.String()]; n != nil {
		return n.Load()
	}

	return 0
}

// publish sends Opus every 20 ms and a VP8 keyframe of 320×180 every
// 50 ms until ctx ends.
func (cl *rtcClient) publish(ctx context.Context) {
	var seqA, seqV uint16
	var tsA, tsV uint32
	w := cl.width
	if w == 0 {
		w = 320
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		_ = cl.audio.WriteRTP(&rtp.Packet{
			Header:  rtp.Header{Version: 2, SequenceNumber: seqA, Timestamp: tsA, Marker: true},
			Payload: make([]byte, 60),
		})
		seqA++
		tsA += 960
		if i%2 == 0 {
			_ = cl.video.WriteRTP(&rtp.Packet{
				Header:  rtp.Header{Version: 2, SequenceNumber: seqV, Timestamp: tsV, Marker: true},
				Payload: vp8Keyframe(w, w*9/16),
			})
			seqV++
			tsV += 3600
		}
	}
}

// vp8Keyframe is one RTP payload holding a whole VP8 keyframe header of
// w×h (the body is zeros).
func vp8Keyframe(w, h int) []byte {
	p := make([]byte, 200)
	p[0] = 0x10 // start of partition 0
	// Frame tag: keyframe, version 0, shown; then the start code.
	p[1], p[2], p[3] = 0x10, 0x02, 0x00
	copy(p[4:7], []byte{0x9d, 0x01, 0x2a})
	binary.LittleEndian.PutUint16(p[7:9], uint16(w))
	binary.LittleEndian.PutUint16(p[9:11], uint16(h))

	return p
}

// next returns the next data channel text.
func (cl *rtcClient) next(ctx context.Context) string {
	cl.t.Helper()
	select {
	case m := <-cl.msgs:
		return m
	case <-ctx.Done():
		cl.t.Fatal("no data channel message before the deadline")
	}

	return ""
}

// nextNotification decodes the next data channel text.
func (cl *rtcClient) nextNotification(ctx context.Context) transport.Notification {
	cl.t.Helper()
	m := cl.next(ctx)
	n, err := transport.DecodeNotification([]byte(m))
	if err != nil {
		cl.t.Fatalf("decode %q: %v", m, err)
	}

	return n
}

// waitClosed waits until the data channel or the connection ends.
func (cl *rtcClient) waitClosed(ctx context.Context) {
	cl.t.Helper()
	select {
	case <-cl.dcDone:
	case <-cl.pcDone:
	case <-ctx.Done():
		cl.t.Fatal("the connection did not close")
	}
}
