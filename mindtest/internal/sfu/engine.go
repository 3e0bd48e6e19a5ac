package sfu

import (
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"

	"github.com/mindsdk/mindgo/transport/rtc"
)

// Config configures an [Engine]. The zero value is usable: loopback only,
// silent.
type Config struct {
	// Logger receives the engine's and pion's log records. Nil is silent.
	Logger *slog.Logger
	// AllowNonLoopback lets ICE gather candidates on every interface. By
	// default only 127.0.0.1 is used, which is what tests need.
	AllowNonLoopback bool
	// TickInterval is how often rooms measure layers and re-choose them.
	// Zero means 250 ms.
	TickInterval time.Duration
}

// Engine is the media side of one server: the pion API (codecs,
// interceptors, ICE settings) built once and shared by all its rooms.
type Engine struct {
	api  *webrtc.API
	log  *slog.Logger
	tick time.Duration

	mu     sync.Mutex
	closed bool
	rooms  map[*Room]struct{}
	wg     sync.WaitGroup
}

// NewEngine builds the pion API: Opus, VP8 and H.264 (42e01f,
// packetization-mode 1) with NACK, PLI, FIR, REMB and transport-cc feedback,
// the simulcast header extensions, NACK and RTCP report interceptors and a
// transport-cc feedback sender. ICE is full (not lite) and accepts
// peer-reflexive candidates at once, since clients send no candidates.
func NewEngine(cfg Config) (*Engine, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := &webrtc.MediaEngine{}
	if err := registerCodecs(m); err != nil {
		return nil, err
	}
	ir := &interceptor.Registry{}
	if err := webrtc.ConfigureNack(m, ir); err != nil {
		return nil, err
	}
	if err := webrtc.ConfigureRTCPReports(ir); err != nil {
		return nil, err
	}
	if err := webrtc.ConfigureSimulcastExtensionHeaders(m); err != nil {
		return nil, err
	}
	if err := webrtc.ConfigureTWCCSender(m, ir); err != nil {
		return nil, err
	}

	se := webrtc.SettingEngine{LoggerFactory: rtc.NewLoggerFactory(log)}
	se.SetIncludeLoopbackCandidate(true)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	if cfg.AllowNonLoopback {
		se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6})
	} else {
		se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
		se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	}
	// Clients strip their host candidates, so the client is only ever seen
	// as a peer-reflexive candidate; pion's default waits up to a second
	// before accepting one.
	se.SetPrflxAcceptanceMinWait(0)
	// Receive every rid; "~" in an offer only says the layer starts paused.
	se.SetIgnoreRidPauseForRecv(true)
	se.SetHostAcceptanceMinWait(0)
	// A client that vanishes without closing is noticed within seconds
	// rather than pion's default half minute.
	se.SetICETimeouts(4*time.Second, 10*time.Second, time.Second)

	tick := cfg.TickInterval
	if tick <= 0 {
		tick = 250 * time.Millisecond
	}

	return &Engine{
		api:   webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se)),
		log:   log,
		tick:  tick,
		rooms: make(map[*Room]struct{}),
	}, nil
}

func registerCodecs(m *webrtc.MediaEngine) error {
	videoFB := []webrtc.RTCPFeedback{
		{Type: webrtc.TypeRTCPFBGoogREMB},
		{Type: webrtc.TypeRTCPFBCCM, Parameter: "fir"},
		{Type: webrtc.TypeRTCPFBNACK},
		{Type: webrtc.TypeRTCPFBNACK, Parameter: "pli"},
	}
	codecs := []struct {
		p    webrtc.RTPCodecParameters
		kind webrtc.RTPCodecType
	}{
		{webrtc.RTPCodecParameters{
			RTPCodecCapability: webrtc.RTPCodecCapability{
				MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
				SDPFmtpLine: "minptime=10;useinbandfec=1",
			},
			PayloadType: 111,
		}, webrtc.RTPCodecTypeAudio},
		{webrtc.RTPCodecParameters{
			RTPCodecCapability: webrtc.RTPCodecCapability{
				MimeType: webrtc.MimeTypeVP8, ClockRate: 90000, RTCPFeedback: videoFB,
			},
			PayloadType: 96,
		}, webrtc.RTPCodecTypeVideo},
		{webrtc.RTPCodecParameters{
			RTPCodecCapability: webrtc.RTPCodecCapability{
				MimeType: webrtc.MimeTypeH264, ClockRate: 90000, RTCPFeedback: videoFB,
				SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
			},
			PayloadType: 108,
		}, webrtc.RTPCodecTypeVideo},
	}
	for _, c := range codecs {
		if err := m.RegisterCodec(c.p, c.kind); err != nil {
			return err
		}
	}

	return nil
}

// goTracked runs f on a goroutine that [Engine.Close] waits for. It returns
// false, without running f, once the engine is closed.
func (e *Engine) goTracked(f func()) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return false
	}
	e.wg.Go(f)

	return true
}

// NewRoom creates the media room of one conference.
func (e *Engine) NewRoom(cfg RoomConfig) (*Room, error) {
	r := newRoom(e, cfg)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, ErrClosed
	}
	e.rooms[r] = struct{}{}
	e.wg.Go(r.run)

	return r, nil
}

func (e *Engine) forget(r *Room) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.rooms, r)
}

// Close closes every room and PeerConnection and waits for every goroutine
// the engine started. It must not be called from an [Events] method.
func (e *Engine) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()

		return nil
	}
	e.closed = true
	rooms := make([]*Room, 0, len(e.rooms))
	for r := range e.rooms {
		rooms = append(rooms, r)
	}
	e.mu.Unlock()

	// With the engine closed, connections close synchronously here rather
	// than on tracked goroutines.
	for _, r := range rooms {
		r.Close()
	}
	e.wg.Wait()

	return nil
}
