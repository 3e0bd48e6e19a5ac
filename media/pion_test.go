package media

import (
	"context"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newLoopbackPeer returns a peer connection that only uses 127.0.0.1,
// with the default codecs and the header extensions simulcast needs. A
// non-nil stamper is added to its interceptors.
func newLoopbackPeer(t *testing.T, stamp *stamper) *webrtc.PeerConnection {
	t.Helper()

	engine := &webrtc.MediaEngine{}
	require.NoError(t, engine.RegisterDefaultCodecs())
	require.NoError(t, webrtc.ConfigureSimulcastExtensionHeaders(engine))

	registry := &interceptor.Registry{}
	require.NoError(t, webrtc.RegisterDefaultInterceptors(engine, registry))
	if stamp != nil {
		registry.Add(stamp)
	}

	settings := webrtc.SettingEngine{}
	settings.SetIncludeLoopbackCandidate(true)
	settings.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	settings.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })

	api := webrtc.NewAPI(webrtc.WithMediaEngine(engine),
		webrtc.WithInterceptorRegistry(registry), webrtc.WithSettingEngine(settings))

	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	require.NoError(t, err)

	return pc
}

// cut returns a copy of clip that plays its first n frames.
func cut(clip *Clip, n int) *Clip {
	c := *clip
	c.frames = c.frames[:n]

	return &c
}

// TestPublishThroughPion sends a stream through two pion peer connections
// on loopback: Opus, VP8 in three simulcast layers and H.264, each track a
// TrackLocalStaticSample fed by Run. The receiver counts frames per track
// and records the largest layer.
func TestPublishThroughPion(t *testing.T) {
	t.Parallel()

	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()

	pattern, err := TestPattern(nil)
	require.NoError(t, err)
	h264 := openTestClip(t, "video-640x360.h264", nil)

	// One second of each.
	audio := Silence(nil)
	layers := map[string]*Clip{
		RIDLow:  cut(pattern.Low.(*Clip), 30),
		RIDMid:  cut(pattern.Mid.(*Clip), 30),
		RIDHigh: cut(pattern.High.(*Clip), 30),
	}
	h264 = cut(h264, 30)

	stamp := &stamper{ids: map[uint32][2]string{}}
	sender, receiver := newLoopbackPeer(t, stamp), newLoopbackPeer(t, nil)

	// Receiving side: one counter per track, keyed by codec and rid.
	var (
		mu       sync.Mutex
		counters = map[string]*Counter{}
		readers  sync.WaitGroup
		recorded = filepath.Join(t.TempDir(), "h.ivf")
	)
	receiver.OnTrack(func(track *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		var next Sink
		if track.RID() == RIDHigh {
			r, err := CreateIVF(recorded)
			if !assert.NoError(t, err) {
				return
			}
			next = r
		}

		counter := NewCounter(track.Codec().MimeType, next)
		mu.Lock()
		counters[track.Codec().MimeType+"/"+track.RID()] = counter
		mu.Unlock()

		readers.Go(func() {
			defer counter.Close()
			assert.NoError(t, Copy(counter, track), "track ends with io.EOF")
		})
	})

	// Sending side: a primary stream with audio and three layers, and a
	// secondary stream with H.264 video.
	primary, err := NewPlayer(Stream{
		Audio: audio,
		Video: &Video{Low: layers[RIDLow], Mid: layers[RIDMid], High: layers[RIDHigh]},
	}, "me#primary")
	require.NoError(t, err)

	secondary, err := NewPlayer(Stream{Video: SingleLayer(h264)}, "me#secondary")
	require.NoError(t, err)
	assert.Nil(t, secondary.AudioTrack())

	_, err = sender.AddTrack(primary.AudioTrack())
	require.NoError(t, err)
	for _, p := range []*Player{primary, secondary} {
		tracks := p.VideoTracks()
		videoSender, err := sender.AddTrack(tracks[0])
		require.NoError(t, err)
		for _, track := range tracks[1:] {
			require.NoError(t, videoSender.AddEncoding(track))
		}
	}

	connect(ctx, t, sender, receiver)
	for _, tr := range sender.GetTransceivers() {
		for _, enc := range tr.Sender().GetParameters().Encodings {
			stamp.set(uint32(enc.SSRC), tr.Mid(), enc.RID)
		}
	}

	// Play everything once, in real time.
	var players sync.WaitGroup
	for _, p := range []*Player{primary, secondary} {
		players.Go(func() { assert.NoError(t, p.Run(ctx)) })
	}
	players.Wait()

	want := map[string]int{
		webrtc.MimeTypeOpus + "/":          50,
		webrtc.MimeTypeVP8 + "/" + RIDLow:  30,
		webrtc.MimeTypeVP8 + "/" + RIDMid:  30,
		webrtc.MimeTypeVP8 + "/" + RIDHigh: 30,
		webrtc.MimeTypeH264 + "/":          30,
	}

	// Loopback loses nothing in practice; allow a few frames for
	// simulcast stream discovery.
	complete := func() bool {
		mu.Lock()
		defer mu.Unlock()

		for key, n := range want {
			if c := counters[key]; c == nil || c.Counters().Frames < uint64(n-3) {
				return false
			}
		}

		return true
	}
	for !complete() {
		select {
		case <-ctx.Done():
			mu.Lock()
			for key, c := range counters {
				t.Logf("%s: %+v", key, c.Counters())
			}
			mu.Unlock()
			t.Fatal("not all frames arrived")
		case <-time.After(10 * time.Millisecond):
		}
	}

	require.NoError(t, sender.GracefulClose())
	require.NoError(t, receiver.GracefulClose())
	readers.Wait()

	info, err := ReadIVFInfo(recorded)
	require.NoError(t, err)
	assert.Equal(t, [2]int{640, 360}, [2]int{info.Width, info.Height})
	assert.GreaterOrEqual(t, info.Frames, 27)
	assert.Equal(t, info.Frames, info.DeclaredFrames)
}

// connect runs one offer/answer exchange with complete gathering and waits
// until both sides are connected.
func connect(ctx context.Context, t *testing.T, offerer, answerer *webrtc.PeerConnection) {
	t.Helper()

	connected := func(pc *webrtc.PeerConnection) <-chan struct{} {
		ch := make(chan struct{})
		var once sync.Once
		pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
			if s == webrtc.PeerConnectionStateConnected {
				once.Do(func() { close(ch) })
			}
		})

		return ch
	}
	offererUp, answererUp := connected(offerer), connected(answerer)

	offer, err := offerer.CreateOffer(nil)
	require.NoError(t, err)
	gathered := webrtc.GatheringCompletePromise(offerer)
	require.NoError(t, offerer.SetLocalDescription(offer))
	<-gathered
	require.NoError(t, answerer.SetRemoteDescription(*offerer.LocalDescription()))

	answer, err := answerer.CreateAnswer(nil)
	require.NoError(t, err)
	gathered = webrtc.GatheringCompletePromise(answerer)
	require.NoError(t, answerer.SetLocalDescription(answer))
	<-gathered
	require.NoError(t, offerer.SetRemoteDescription(*answerer.LocalDescription()))

	for _, up := range []<-chan struct{}{offererUp, answererUp} {
		select {
		case <-up:
		case <-ctx.Done():
			t.Fatal("peer connections did not connect")
		}
	}
}

// stamper adds the sdes:mid and sdes:rtp-stream-id header extensions to
// outgoing packets, which pion v4.2.26 leaves to the application and
// which a receiver needs to tell simulcast layers apart. It is both the
// interceptor factory and the interceptor.
type stamper struct {
	interceptor.NoOp

	mu  sync.Mutex
	ids map[uint32][2]string // SSRC to mid and rid
}

func (s *stamper) NewInterceptor(string) (interceptor.Interceptor, error) { return s, nil }

func (s *stamper) set(ssrc uint32, mid, rid string) {
	s.mu.Lock()
	defer s.mu.Unlock()

	s.ids[ssrc] = [2]string{mid, rid}
}

func (s *stamper) BindLocalStream(
	info *interceptor.StreamInfo, w interceptor.RTPWriter,
) interceptor.RTPWriter {
	var midID, ridID uint8
	for _, e := range info.RTPHeaderExtensions {
		switch e.URI {
		case sdp.SDESMidURI:
			midID = uint8(e.ID)
		case sdp.SDESRTPStreamIDURI:
			ridID = uint8(e.ID)
		}
	}

	write := func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		s.mu.Lock()
		ids, ok := s.ids[h.SSRC]
		s.mu.Unlock()

		if ok && midID != 0 && ids[0] != "" {
			_ = h.SetExtension(midID, []byte(ids[0]))
		}
		if ok && ridID != 0 && ids[1] != "" {
			_ = h.SetExtension(ridID, []byte(ids[1]))
		}

		return w.Write(h, payload, a)
	}

	return interceptor.RTPWriterFunc(write)
}
