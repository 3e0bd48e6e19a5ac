package rtc

import (
	"context"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// benchAnswer answers offer with a fresh pion peer connection that has the
// negotiated data channel, as a server does for a new connection.
func benchAnswer(b *testing.B, api *webrtc.API, offer string) (*webrtc.PeerConnection, string) {
	b.Helper()
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		b.Fatal(err)
	}
	negotiated, id := true, uint16(1)
	if _, err := pc.CreateDataChannel("", &webrtc.DataChannelInit{Negotiated: &negotiated, ID: &id}); err != nil {
		b.Fatal(err)
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		b.Fatal(err)
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		b.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(answer); err != nil {
		b.Fatal(err)
	}
	<-gathered

	return pc, pc.LocalDescription().SDP
}

// BenchmarkHandshake measures a join's transport part: peer connection and
// data channel created, first offer, answer applied, data channel open.
// "conn" is this package, "pion" a bare pion offerer doing the same (it
// keeps its host candidates in the offer); compare the two.
func BenchmarkHandshake(b *testing.B) {
	answererAPI := newAnswererAPI(b)

	b.Run("conn", func(b *testing.B) { benchConnHandshake(b, answererAPI) })

	// The same against a server that keeps pion's default wait before it
	// accepts a peer-reflexive candidate, which is how it learns clients
	// that send no candidates.
	b.Run("conn-server-default-prflx-wait", func(b *testing.B) {
		benchConnHandshake(b, newAnswererAPIWith(b, func(*webrtc.SettingEngine) {}))
	})

	b.Run("pion", func(b *testing.B) {
		settings := webrtc.SettingEngine{}
		loopbackOnly(&settings)
		api := webrtc.NewAPI(webrtc.WithSettingEngine(settings))
		for b.Loop() {
			ctx, cancel := context.WithTimeout(b.Context(), 10*time.Second)
			pc, err := api.NewPeerConnection(webrtc.Configuration{})
			if err != nil {
				b.Fatal(err)
			}
			negotiated, id := true, uint16(1)
			dc, err := pc.CreateDataChannel("", &webrtc.DataChannelInit{Negotiated: &negotiated, ID: &id})
			if err != nil {
				b.Fatal(err)
			}
			open := make(chan struct{}, 1)
			dc.OnOpen(func() { open <- struct{}{} })
			offer, err := pc.CreateOffer(nil)
			if err != nil {
				b.Fatal(err)
			}
			gathered := webrtc.GatheringCompletePromise(pc)
			if err := pc.SetLocalDescription(offer); err != nil {
				b.Fatal(err)
			}
			<-gathered
			server, answer := benchAnswer(b, answererAPI, pc.LocalDescription().SDP)
			err = pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer})
			if err != nil {
				b.Fatal(err)
			}
			select {
			case <-open:
			case <-ctx.Done():
				b.Fatal("data channel did not open")
			}
			b.StopTimer()
			_ = pc.Close()
			_ = server.Close()
			cancel()
			b.StartTimer()
		}
	})
}

// BenchmarkNewEngine is the one-off cost an Engine saves each connection.
func BenchmarkNewEngine(b *testing.B) {
	for b.Loop() {
		if _, err := NewEngine(Config{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMungeOffer is the per-round cost of rewriting an offer.
func BenchmarkMungeOffer(b *testing.B) {
	plans := testPlans()
	for b.Loop() {
		if _, err := mungeOffer(pionLikeOffer, plans); err != nil {
			b.Fatal(err)
		}
	}
}

func benchConnHandshake(b *testing.B, answererAPI *webrtc.API) {
	engine := mustEngine(b)
	for b.Loop() {
		ctx, cancel := context.WithTimeout(b.Context(), 10*time.Second)
		open := make(chan struct{}, 1)
		c, err := engine.NewConn(Handlers{OnDataChannelOpen: func() { open <- struct{}{} }})
		if err != nil {
			b.Fatal(err)
		}
		offer, err := c.CreateOffer(ctx)
		if err != nil {
			b.Fatal(err)
		}
		server, answer := benchAnswer(b, answererAPI, offer.SDP)
		if err := c.ApplyAnswer(answer); err != nil {
			b.Fatal(err)
		}
		select {
		case <-open:
		case <-ctx.Done():
			b.Fatal("data channel did not open")
		}
		b.StopTimer()
		_ = c.Close()
		_ = server.Close()
		cancel()
		b.StartTimer()
	}
}

// BenchmarkRenegotiation is one round on an established connection with
// the four publications and two receive slots: a limit change, offer,
// answer by a pion server, answer applied.
func BenchmarkRenegotiation(b *testing.B) {
	ctx, cancel := context.WithTimeout(b.Context(), time.Minute)
	defer cancel()
	c, a, _ := connect(ctx, b, mustEngine(b), newAnswererAPI(b))
	if err := c.AddPublications(); err != nil {
		b.Fatal(err)
	}
	video, err := c.Subscribe("conference", webrtc.RTPCodecTypeVideo, Limits{})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := c.Subscribe("conference", webrtc.RTPCodecTypeAudio, Limits{}); err != nil {
		b.Fatal(err)
	}
	negotiate(ctx, b, c, a)

	rate := 1.0
	for b.Loop() {
		rate++
		if err := video.SetLimits(Limits{MaxFrameRate: rate}); err != nil {
			b.Fatal(err)
		}
		negotiate(ctx, b, c, a)
	}
}
