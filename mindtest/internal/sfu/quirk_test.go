package sfu

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/stretchr/testify/require"
)

// rawAnswerer is a bare pion answerer, without the engine's offer
// rewriting: it shows what pion itself does.
type rawAnswerer struct {
	api     *webrtc.API
	pc      *webrtc.PeerConnection
	packets sync.Map // mid → *atomic.Int64
	wg      sync.WaitGroup
	done    chan struct{}
	sent    atomic.Int64

	mu     sync.Mutex
	tracks []*webrtc.TrackLocalStaticRTP
}

func newRawAnswerer(t *testing.T, api *webrtc.API) *rawAnswerer {
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	require.NoError(t, err)
	negotiated, id := true, uint16(1)
	_, err = pc.CreateDataChannel("", &webrtc.DataChannelInit{Negotiated: &negotiated, ID: &id})
	require.NoError(t, err)
	r := &rawAnswerer{api: api, pc: pc, done: make(chan struct{})}
	pc.OnTrack(func(track *webrtc.TrackRemote, receiver *webrtc.RTPReceiver) {
		mid := ""
		for _, tr := range pc.GetTransceivers() {
			if tr.Receiver() == receiver {
				mid = tr.Mid()
			}
		}
		v, _ := r.packets.LoadOrStore(mid, &atomic.Int64{})
		n := v.(*atomic.Int64)
		r.wg.Go(func() {
			buf := make([]byte, 1500)
			for {
				if _, _, err := track.Read(buf); err != nil {
					return
				}
				n.Add(1)
			}
		})
	})
	t.Cleanup(func() {
		close(r.done)
		_ = pc.Close()
		r.wg.Wait()
	})

	return r
}

func (r *rawAnswerer) answer(ctx context.Context, _ string, offer string) (string, error) {
	if offer != "" {
		err := r.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer})
		if err != nil {
			return "", err
		}
	}
	answer, err := r.pc.CreateAnswer(nil)
	if err != nil {
		return "", err
	}
	gathered := webrtc.GatheringCompletePromise(r.pc)
	if err := r.pc.SetLocalDescription(answer); err != nil {
		return "", err
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return "", ctx.Err()
	}

	return r.pc.LocalDescription().SDP, nil
}

// TestPionQuirkInactiveStopsSection documents the pion v4.2.26 behaviour
// the engine works around: when a section that already has a transceiver is
// offered inactive, pion stops that transceiver for good. A receive slot
// parked (inactive) and then reused (recvonly) is answered inactive from
// then on and never carries media again. If this test fails after a pion
// upgrade, the workaround in offer_rewrite.go may no longer be needed.
func TestPionQuirkInactiveStopsSection(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	e := newTestEngine(t)
	raw := newRawAnswerer(t, e.api)

	b := newTestClient(t, nil, pidB)
	b.offer = raw.answerWithTracks
	b.connect(ctx)
	sub := b.subscribe(webrtc.RTPCodecTypeAudio, pidA+"#primary")
	b.renegotiate(ctx)
	raw.startSending()
	waitUntil(ctx, t, "media on the slot", func() bool { return sub.packets.Load() > 5 })

	b.setSub(sub, false, "")
	b.renegotiate(ctx)
	b.setSub(sub, true, pidA+"#primary")
	answer := b.renegotiate(ctx)
	o, err := ParseOffer(answer) // an answer parses like an offer
	require.NoError(t, err)
	require.Equal(t, Inactive, o.Sections[1].Direction, "pion answered a reused slot; quirk gone?")

	before := raw.sent.Load()
	got := sub.packets.Load()
	waitUntil(ctx, t, "the answerer to write more", func() bool { return raw.sent.Load() > before+25 })
	require.Equal(t, got, sub.packets.Load(), "media reached a reused slot; quirk gone?")
}

// answerWithTracks answers like answer, giving every receive slot a track.
func (r *rawAnswerer) answerWithTracks(ctx context.Context, pid string, offer string) (string, error) {
	if err := r.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return "", err
	}
	for _, tr := range r.pc.GetTransceivers() {
		if tr.Sender() != nil || tr.Direction() != webrtc.RTPTransceiverDirectionSendonly {
			continue
		}
		track, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus}, "a", "raw")
		if err != nil {
			return "", err
		}
		sender, err := r.api.NewRTPSender(track, r.pc.SCTP().Transport())
		if err != nil {
			return "", err
		}
		if err := tr.SetSender(sender, track); err != nil {
			return "", err
		}
		r.mu.Lock()
		r.tracks = append(r.tracks, track)
		r.mu.Unlock()
	}

	return r.answer(ctx, pid, "")
}

// startSending writes an audio packet to every track every 20 ms.
func (r *rawAnswerer) startSending() {
	r.wg.Go(func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		var seq uint16
		for {
			select {
			case <-r.done:
				return
			case <-tick.C:
			}
			seq++
			r.mu.Lock()
			tracks := append([]*webrtc.TrackLocalStaticRTP(nil), r.tracks...)
			r.mu.Unlock()
			for _, tr := range tracks {
				pkt := &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: uint32(seq) * 960},
					Payload: make([]byte, 40)}
				_ = tr.WriteRTP(pkt)
			}
			r.sent.Add(1)
		}
	})
}

// TestPublicationsReactivate cycles every publication inactive → sendonly
// twice; media must reach a subscriber each time.
func TestPublicationsReactivate(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 45*time.Second)
	defer cancel()
	e := newTestEngine(t)
	rec := newRecorder()
	room, err := e.NewRoom(RoomConfig{Events: rec})
	require.NoError(t, err)

	a := newTestClient(t, room, pidA)
	a.connect(ctx)
	a.addPublications()
	a.renegotiate(ctx) // all four inactive first, as a browser does
	for pos := 1; pos <= 4; pos++ {
		a.publish(pos)
	}
	a.renegotiate(ctx)
	rec.waitFor(ctx, t, "flags "+pidA+" av av")

	b := newTestClient(t, room, pidB)
	b.connect(ctx)
	b.addPublications()
	subs := []*subscription{
		b.subscribe(webrtc.RTPCodecTypeAudio, pidA+"#primary"),
		b.subscribe(webrtc.RTPCodecTypeVideo, pidA+"#primary", "a=x-preferences:0@0"),
		b.subscribe(webrtc.RTPCodecTypeAudio, pidA+"#secondary"),
		b.subscribe(webrtc.RTPCodecTypeVideo, pidA+"#secondary", "a=x-preferences:0@0"),
	}
	b.renegotiate(ctx)
	flowing := func(round string) {
		t.Helper()
		marks := make([]int64, len(subs))
		for i, s := range subs {
			marks[i] = s.packets.Load()
		}
		for i, s := range subs {
			waitUntil(ctx, t, round+": media on subscription "+itoa(i), func() bool {
				return s.packets.Load() > marks[i]+5
			})
		}
	}
	flowing("initial")

	for round := range 2 {
		for pos := 1; pos <= 4; pos++ {
			a.pubs[pos].active.Store(false)
		}
		a.renegotiate(ctx)
		waitUntil(ctx, t, "flags cleared", func() bool {
			ev := rec.snapshot()
			return count(ev, "flags "+pidA+" - -") == round+1
		})
		for pos := 1; pos <= 4; pos++ {
			a.pubs[pos].active.Store(true)
		}
		a.renegotiate(ctx)
		flowing("round " + itoa(round))
	}
	require.Equal(t, 3, count(rec.snapshot(), "flags "+pidA+" av av"))
}

// TestReceiveSlotParkAndReuse parks a receive slot and reuses it for another
// stream, twice; the engine must answer sendonly and forward each time.
func TestReceiveSlotParkAndReuse(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	e := newTestEngine(t)
	rec := newRecorder()
	room, err := e.NewRoom(RoomConfig{Events: rec})
	require.NoError(t, err)

	a := newTestClient(t, room, pidA)
	a.connect(ctx)
	a.addPublications()
	a.publish(1)
	a.publish(3)
	a.renegotiate(ctx)
	rec.waitFor(ctx, t, "flags "+pidA+" a a")

	b := newTestClient(t, room, pidB)
	b.connect(ctx)
	b.addPublications()
	sub := b.subscribe(webrtc.RTPCodecTypeAudio, pidA+"#primary")
	b.renegotiate(ctx)
	waitUntil(ctx, t, "primary audio", func() bool { return sub.packets.Load() > 5 })

	for round, label := range []string{pidA + "#secondary", pidA + "#primary"} {
		b.setSub(sub, false, "")
		answer := b.renegotiate(ctx)
		o, err := ParseOffer(answer)
		require.NoError(t, err)
		require.Equal(t, Inactive, o.Sections[5].Direction, "round %d", round)
		// Let packets already on their way arrive, then expect silence.
		mark := a.pubs[1].tracks[0].sent.Load()
		waitUntil(ctx, t, "time to pass", func() bool { return a.pubs[1].tracks[0].sent.Load() > mark+10 })
		parked := sub.packets.Load()
		mark = a.pubs[1].tracks[0].sent.Load()
		waitUntil(ctx, t, "more time to pass", func() bool { return a.pubs[1].tracks[0].sent.Load() > mark+15 })
		require.Zero(t, sub.packets.Load()-parked, "a parked slot must be silent")

		b.setSub(sub, true, label)
		answer = b.renegotiate(ctx)
		o, err = ParseOffer(answer)
		require.NoError(t, err)
		require.Equal(t, SendOnly, o.Sections[5].Direction, "round %d", round)
		n := sub.packets.Load()
		waitUntil(ctx, t, "media on the reused slot", func() bool { return sub.packets.Load() > n+5 })
	}
	require.LessOrEqual(t, sub.maxGap.Load(), int32(continuityGap))
}
