package session

import (
	"bufio"
	"context"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"

	"github.com/mindsdk/mindgo/mindtest"
	"github.com/mindsdk/mindgo/transport"
	"github.com/mindsdk/mindgo/transport/rtc"
)

func benchLoopback(s *webrtc.SettingEngine) {
	s.SetIncludeLoopbackCandidate(true)
	s.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	s.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
}

func benchMediaOptions(b *testing.B) *Options {
	b.Helper()
	e, err := rtc.NewEngine(rtc.Config{IncludeLoopback: true, ConfigureSettingEngine: benchLoopback})
	if err != nil {
		b.Fatal(err)
	}
	return &Options{Media: MediaOptions{Engine: e}}
}

// BenchmarkMediaJoin measures a media Join against mindtest on loopback
// (data-channel-only offer, R2, ICE, DTLS, SCTP, data channel open, R1)
// and, in the same run, a bare pion pair doing the same handshake: the
// offer without host candidates, an answer from a pion answerer that
// accepts peer-reflexive candidates at once, the negotiated data channel
// opening. It reports both medians and their ratio. Close is not timed.
func BenchmarkMediaJoin(b *testing.B) {
	srv, err := mindtest.NewServer(nil)
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	conf, err := srv.CreateConference("bench", transport.LayoutMosaic)
	if err != nil {
		b.Fatal(err)
	}
	p, err := conf.CreateParticipant(transport.CreateParticipantRequest{Name: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	opts := benchMediaOptions(b)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	client, server := bareAPIs()

	var sdk, bare []time.Duration
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		s, err := Join(ctx, conf.URI(), p.Token, opts)
		if err != nil {
			b.Fatal(err)
		}
		sdk = append(sdk, time.Since(start))
		b.StopTimer()
		_ = s.Close()
		_ = conf.WaitOnline(ctx, p.ID, false)

		d, err := bareHandshake(ctx, client, server)
		if err != nil {
			b.Fatal(err)
		}
		bare = append(bare, d)
		b.StartTimer()
	}
	ms, mb := median(sdk), median(bare)
	b.ReportMetric(float64(ms.Microseconds())/1000, "join-ms")
	b.ReportMetric(float64(mb.Microseconds())/1000, "bare-pion-ms")
	b.ReportMetric(float64(ms)/float64(mb), "ratio")
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	for i := range s { // insertion sort: short slices
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s[len(s)/2]
}

func bareAPIs() (client, server *webrtc.API) {
	mk := func(prflx bool) *webrtc.API {
		m := &webrtc.MediaEngine{}
		_ = m.RegisterDefaultCodecs()
		se := webrtc.SettingEngine{}
		benchLoopback(&se)
		if prflx {
			se.SetPrflxAcceptanceMinWait(0)
			se.SetHostAcceptanceMinWait(0)
		}
		return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithSettingEngine(se))
	}
	return mk(false), mk(true)
}

var hostCandidate = regexp.MustCompile(`(?m)^a=candidate:.* typ host.*\r\n`)

// bareHandshake connects two pion peers on loopback the way a media join
// does, and returns the time until the client's data channel opened.
func bareHandshake(ctx context.Context, client, server *webrtc.API) (time.Duration, error) {
	start := time.Now()
	negotiated, id := true, uint16(1)
	init := &webrtc.DataChannelInit{Negotiated: &negotiated, ID: &id}

	cpc, err := client.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return 0, err
	}
	defer cpc.Close() //nolint:errcheck
	spc, err := server.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return 0, err
	}
	defer spc.Close() //nolint:errcheck
	cdc, err := cpc.CreateDataChannel("", init)
	if err != nil {
		return 0, err
	}
	if _, err := spc.CreateDataChannel("", init); err != nil {
		return 0, err
	}
	open := make(chan struct{})
	cdc.OnOpen(func() { close(open) })

	offer, err := cpc.CreateOffer(nil)
	if err != nil {
		return 0, err
	}
	gathered := webrtc.GatheringCompletePromise(cpc)
	if err := cpc.SetLocalDescription(offer); err != nil {
		return 0, err
	}
	<-gathered
	sent := hostCandidate.ReplaceAllString(cpc.LocalDescription().SDP, "")
	if err := spc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: sent}); err != nil {
		return 0, err
	}
	answer, err := spc.CreateAnswer(nil)
	if err != nil {
		return 0, err
	}
	sg := webrtc.GatheringCompletePromise(spc)
	if err := spc.SetLocalDescription(answer); err != nil {
		return 0, err
	}
	<-sg
	if err := cpc.SetRemoteDescription(*spc.LocalDescription()); err != nil {
		return 0, err
	}
	select {
	case <-open:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	return time.Since(start), nil
}

const mediaIdleEnv = "MIND_BENCH_MEDIA_SESSIONS" // number of media sessions; default 100

// BenchmarkMediaSessions opens N idle media sessions (default 100, or
// MIND_BENCH_MEDIA_SESSIONS), each in its own conference, against a
// server in a child process, and reports heap bytes and goroutines per
// session (client side only). Run it with -benchtime=1x.
func BenchmarkMediaSessions(b *testing.B) {
	n, _ := strconv.Atoi(os.Getenv(mediaIdleEnv))
	if n <= 0 {
		n = 100
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestIdleServer$", "-test.v")
	cmd.Env = append(os.Environ(), idleServer+"="+strconv.Itoa(n))
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = stdin.Close(); _ = cmd.Wait() }()

	var uris, tokens []string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "SESSION "); ok {
			uri, tok, _ := strings.Cut(v, " ")
			uris, tokens = append(uris, uri), append(tokens, tok)
		} else if line == "READY" {
			break
		}
	}
	if len(tokens) != n {
		b.Fatalf("child gave %d sessions", len(tokens))
	}
	go func() { // keep the child's pipe drained
		for sc.Scan() {
		}
	}()

	opts := benchMediaOptions(b)
	before := heapAndGoroutines()
	sessions := make([]*Session, 0, n)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for i, tok := range tokens {
		s, err := Join(ctx, uris[i], tok, opts)
		if err != nil {
			b.Fatal(err)
		}
		sessions = append(sessions, s)
	}
	time.Sleep(2 * time.Second) // let every first negotiation round settle before measuring
	after := heapAndGoroutines()

	b.ReportMetric(float64(after.heap-before.heap)/float64(n), "heap-B/session")
	b.ReportMetric(float64(after.goroutines-before.goroutines)/float64(n), "goroutines/session")
	for _, s := range sessions {
		_ = s.Close()
	}
	for range b.N {
	}
}
