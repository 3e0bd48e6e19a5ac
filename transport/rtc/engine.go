package rtc

import (
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/interceptor/pkg/report"
	"github.com/pion/interceptor/pkg/stats"
	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/logging"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// Config configures an [Engine]. The zero value is valid: no ICE servers,
// no logging, pion's default network settings.
type Config struct {
	// ICEServers are the STUN and TURN servers of the peer connection
	// (protocol §4.1). None by default.
	ICEServers []webrtc.ICEServer

	// Logger receives pion's own log lines, each with a "scope" attribute.
	// Nil means silent.
	Logger *slog.Logger

	// IncludeLoopback makes pion gather loopback candidates, which it skips
	// by default. Needed when the only usable interface is loopback (tests,
	// containers); see protocol §4.13.
	IncludeLoopback bool

	// ConfigureSettingEngine, if set, is called once with the setting
	// engine of the [Engine] before it is used, to adjust anything this
	// struct does not name (network types, timeouts, filters). The logger
	// factory and loopback flag are already set when it runs.
	ConfigureSettingEngine func(*webrtc.SettingEngine)
}

// Payload types of the codecs the client offers.
const (
	payloadTypeOpus = 111
	payloadTypeVP8  = 96
	payloadTypeH264 = 102
)

// Engine is the per-configuration part of a connection: the pion API with
// its media engine (Opus, VP8, H.264 42e01f packetization-mode 1), header
// extensions, interceptors (NACK, RTCP reports, TWCC, statistics) and
// setting engine. Building it costs far more than a peer connection, so
// build one per configuration and create every [Conn] from it; it is safe
// for concurrent use. pion copies the media engine for each peer
// connection, so connections do not share negotiation state.
type Engine struct {
	api    *webrtc.API
	config webrtc.Configuration
	// desired holds the candidate types whose arrival releases the first
	// offer (protocol §4.4): srflx with a STUN server, relay with TURN.
	desired []webrtc.ICECandidateType
	logger  *slog.Logger
	// rtpStats holds each new peer connection's statistics getter by
	// connection ID until NewConn takes it.
	rtpStats sync.Map
}

// NewEngine builds an [Engine] from cfg.
func NewEngine(cfg Config) (*Engine, error) {
	media, err := newMediaEngine()
	if err != nil {
		return nil, err
	}

	loggerFactory := NewLoggerFactory(cfg.Logger)
	e := &Engine{}
	registry, err := newInterceptors(media, loggerFactory, &e.rtpStats)
	if err != nil {
		return nil, err
	}

	settings := webrtc.SettingEngine{LoggerFactory: loggerFactory}
	settings.SetIncludeLoopbackCandidate(cfg.IncludeLoopback)
	if cfg.ConfigureSettingEngine != nil {
		cfg.ConfigureSettingEngine(&settings)
	}

	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}

	e.api = webrtc.NewAPI(
		webrtc.WithMediaEngine(media),
		webrtc.WithInterceptorRegistry(registry),
		webrtc.WithSettingEngine(settings),
	)
	e.config = webrtc.Configuration{
		ICEServers:   append([]webrtc.ICEServer(nil), cfg.ICEServers...),
		BundlePolicy: webrtc.BundlePolicyMaxBundle,
	}
	e.desired = desiredCandidateTypes(cfg.ICEServers)
	e.logger = logger

	return e, nil
}

// newInterceptors registers pion's default interceptors (NACK, RTCP
// reports, TWCC reports, statistics) plus the TWCC header extension on
// outgoing packets, which the server needs to send transport-cc back.
//
// The statistics interceptor is this package's own rather than pion's:
// pion keeps its getter private and its GetStats reports no outbound RTP,
// while [Conn.RTPStats] needs both directions. Each peer connection's
// getter is parked in getters under the connection's ID until NewConn
// takes it.
func newInterceptors(
	media *webrtc.MediaEngine, loggerFactory logging.LoggerFactory, getters *sync.Map,
) (*interceptor.Registry, error) {
	registry := &interceptor.Registry{}
	err := webrtc.ConfigureNackWithOptions(media, registry,
		[]nack.GeneratorOption{nack.WithGeneratorLoggerFactory(loggerFactory)},
		nack.WithResponderLoggerFactory(loggerFactory))
	if err != nil {
		return nil, fmt.Errorf("register NACK: %w", err)
	}
	err = webrtc.ConfigureRTCPReportsWithOptions(registry,
		[]report.ReceiverOption{report.WithReceiverLoggerFactory(loggerFactory)},
		report.WithSenderLoggerFactory(loggerFactory))
	if err != nil {
		return nil, fmt.Errorf("register RTCP reports: %w", err)
	}

	statsFactory, err := stats.NewInterceptor(stats.WithLoggerFactory(loggerFactory))
	if err != nil {
		return nil, fmt.Errorf("register statistics: %w", err)
	}
	statsFactory.OnNewPeerConnection(func(id string, getter stats.Getter) {
		if i, ok := getter.(*stats.Interceptor); ok {
			startRecorders(i)
		}
		getters.Store(id, getter)
	})
	registry.Add(statsFactory)

	err = webrtc.ConfigureTWCCSenderWithOptions(media, registry, twcc.WithLoggerFactory(loggerFactory))
	if err != nil {
		return nil, fmt.Errorf("register TWCC: %w", err)
	}
	if err := webrtc.ConfigureTWCCHeaderExtensionSender(media, registry); err != nil {
		return nil, fmt.Errorf("register TWCC header extension: %w", err)
	}

	return registry, nil
}

// startRecorders makes the statistics interceptor's per-stream recorders
// count from the first packet. pion creates each recorder idle, starts it
// on a goroutine of its own and drops every packet the recorder sees
// before that goroutine runs. The first packet of a received stream is
// read by pion itself (to learn the codec) before the track is handed out,
// and nothing else is read until the owner reads the track, so on a busy
// machine a stream could show no inbound packets at all. Starting the
// recorder as it is created closes that window; pion's own later Start is
// then a no-op. The callback that calls this runs inside pion's
// construction of the interceptor, before any stream is bound.
func startRecorders(i *stats.Interceptor) {
	create := i.RecorderFactory
	if create == nil {
		return
	}
	i.RecorderFactory = func(ssrc uint32, clockRate float64) stats.Recorder {
		r := create(ssrc, clockRate)
		r.Start()

		return r
	}
}

// newMediaEngine registers the codecs of protocol §4.9 with their RTCP
// feedback, and the mid and RID header extensions simulcast needs.
func newMediaEngine() (*webrtc.MediaEngine, error) {
	media := &webrtc.MediaEngine{}
	videoFeedback := []webrtc.RTCPFeedback{
		{Type: webrtc.TypeRTCPFBGoogREMB},
		{Type: webrtc.TypeRTCPFBCCM, Parameter: "fir"},
		{Type: webrtc.TypeRTCPFBNACK},
		{Type: webrtc.TypeRTCPFBNACK, Parameter: "pli"},
		{Type: webrtc.TypeRTCPFBTransportCC},
	}
	codecs := []struct {
		params webrtc.RTPCodecParameters
		kind   webrtc.RTPCodecType
	}{
		{webrtc.RTPCodecParameters{
			RTPCodecCapability: webrtc.RTPCodecCapability{
				MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
				SDPFmtpLine:  "minptime=10;useinbandfec=1",
				RTCPFeedback: []webrtc.RTCPFeedback{{Type: webrtc.TypeRTCPFBTransportCC}},
			},
			PayloadType: payloadTypeOpus,
		}, webrtc.RTPCodecTypeAudio},
		{webrtc.RTPCodecParameters{
			RTPCodecCapability: webrtc.RTPCodecCapability{
				MimeType: webrtc.MimeTypeVP8, ClockRate: 90000, RTCPFeedback: videoFeedback,
			},
			PayloadType: payloadTypeVP8,
		}, webrtc.RTPCodecTypeVideo},
		{webrtc.RTPCodecParameters{
			RTPCodecCapability: webrtc.RTPCodecCapability{
				MimeType: webrtc.MimeTypeH264, ClockRate: 90000,
				SDPFmtpLine:  "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
				RTCPFeedback: videoFeedback,
			},
			PayloadType: payloadTypeH264,
		}, webrtc.RTPCodecTypeVideo},
	}
	for _, c := range codecs {
		if err := media.RegisterCodec(c.params, c.kind); err != nil {
			return nil, fmt.Errorf("register codec %s: %w", c.params.MimeType, err)
		}
	}

	extensions := []struct {
		uri  string
		kind webrtc.RTPCodecType
	}{
		{sdp.SDESMidURI, webrtc.RTPCodecTypeAudio},
		{sdp.SDESMidURI, webrtc.RTPCodecTypeVideo},
		{sdp.SDESRTPStreamIDURI, webrtc.RTPCodecTypeVideo},
		{sdp.SDESRepairRTPStreamIDURI, webrtc.RTPCodecTypeVideo},
	}
	for _, e := range extensions {
		capability := webrtc.RTPHeaderExtensionCapability{URI: e.uri}
		if err := media.RegisterHeaderExtension(capability, e.kind); err != nil {
			return nil, fmt.Errorf("register header extension %s: %w", e.uri, err)
		}
	}

	return media, nil
}

// desiredCandidateTypes maps configured ICE server URLs to the candidate
// types they can produce.
func desiredCandidateTypes(servers []webrtc.ICEServer) []webrtc.ICECandidateType {
	var srflx, relay bool
	for _, server := range servers {
		for _, url := range server.URLs {
			scheme, _, _ := strings.Cut(strings.ToLower(url), ":")
			switch scheme {
			case "stun", "stuns":
				srflx = true
			case "turn", "turns":
				relay = true
			}
		}
	}

	var desired []webrtc.ICECandidateType
	if srflx {
		desired = append(desired, webrtc.ICECandidateTypeSrflx)
	}
	if relay {
		desired = append(desired, webrtc.ICECandidateTypeRelay)
	}

	return desired
}
