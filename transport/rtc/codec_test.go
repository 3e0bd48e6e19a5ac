package rtc

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// TestPublishEitherVideoCodec publishes sample tracks in each video codec
// the client offers and switches codec on a live publication. pion binds
// a section's sender once and narrows its context to one codec, so this
// fails if a source only gets to choose among what the sender settled on.
// Each new track also starts at its own random sequence number on the same
// SSRC; unless the connection renumbers them, the answerer's SRTP context
// drops what follows a large jump and a round stalls.
func TestPublishEitherVideoCodec(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	c, a, _ := connect(ctx, t, mustEngine(t), newAnswererAPI(t))
	if err := c.AddPublications(); err != nil {
		t.Fatal(err)
	}
	negotiate(ctx, t, c, a) // the publications are idle

	h264 := webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeH264, ClockRate: 90000,
		SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
	}
	vp8 := webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}
	idr := []byte{0, 0, 0, 1, 0x65, 0x88, 0x84, 0x00, 0x33, 0xff}
	key := []byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x10, 0x00, 0x10, 0x00}
	rounds := []struct {
		codec webrtc.RTPCodecCapability
		frame []byte
	}{{h264, idr}, {vp8, key}, {h264, idr}}

	for i, round := range rounds {
		track, err := webrtc.NewTrackLocalStaticSample(round.codec, "video", "me#primary",
			webrtc.WithRTPStreamID(RIDLow))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.SetPublication(Primary, nil, []webrtc.TrackLocal{track}); err != nil {
			t.Fatalf("round %d (%s): %v", i, round.codec.MimeType, err)
		}
		if i == 0 {
			negotiate(ctx, t, c, a) // declares the section sent
		}
		if !attached(c, 1, RIDLow) {
			t.Fatalf("round %d: %s track not attached", i, round.codec.MimeType)
		}

		before := a.codecPackets("2", RIDLow, round.codec.MimeType)
		writeCtx, stop := context.WithCancel(ctx)
		var wg sync.WaitGroup
		wg.Go(func() {
			ticker := time.NewTicker(10 * time.Millisecond)
			defer ticker.Stop()
			for {
				select {
				case <-writeCtx.Done():
					return
				case <-ticker.C:
				}
				_ = track.WriteSample(mediaSample(round.frame))
			}
		})
		waitFor(ctx, t, round.codec.MimeType+" packets", func() bool {
			return a.codecPackets("2", RIDLow, round.codec.MimeType) > before+3
		})
		stop()
		wg.Wait()
	}
}

// TestSequencerContinues checks the renumbering of packets across the
// sources of one encoding: the first source keeps its numbers, a later one
// continues after the last number sent, wrap-around included, and a late
// packet of an old source does not move the sequence back.
func TestSequencerContinues(t *testing.T) {
	var seq sequencer
	first := seqSpan{sequencer: &seq}
	for _, n := range []uint16{65534, 65535, 0} {
		if got := first.number(n); got != n {
			t.Errorf("first source: %d became %d", n, got)
		}
	}
	second := seqSpan{sequencer: &seq}
	for i, n := range []uint16{40000, 40001, 40002} {
		if got, want := second.number(n), uint16(1+i); got != want {
			t.Errorf("second source: %d became %d, want %d", n, got, want)
		}
	}
	if got := first.number(65535); got != 65535 {
		t.Errorf("late packet renumbered to %d", got)
	}
	third := seqSpan{sequencer: &seq}
	if got := third.number(7); got != 4 {
		t.Errorf("third source starts at %d, want 4", got)
	}
}
