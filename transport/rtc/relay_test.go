package rtc

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// TestTimestampsContinueAcrossSources checks the timeline of one encoding
// across its sources: the first source keeps its timestamps, a later one
// starts after the last timestamp sent by at least one tick and at most the
// time that passed, in the clock of its payload type, and a late packet of
// an old source does not move the timeline back.
func TestTimestampsContinueAcrossSources(t *testing.T) {
	clocks := map[uint8]uint32{111: 48000}
	var seq sequencer
	first := seqSpan{sequencer: &seq, clocks: clocks}
	for i, ts := range []uint32{4294966336, 0, 960} { // wraps around
		n, got := first.renumber(&rtp.Header{PayloadType: 111, SequenceNumber: uint16(100 + i), Timestamp: ts})
		if n != uint16(100+i) || got != ts {
			t.Errorf("first source: %d/%d became %d/%d", 100+i, ts, n, got)
		}
	}
	before := time.Now()
	second := seqSpan{sequencer: &seq, clocks: clocks}
	n, ts := second.renumber(&rtp.Header{PayloadType: 111, SequenceNumber: 50000, Timestamp: 2000000000})
	elapsed := time.Since(before) + time.Since(before) // generous upper bound
	if n != 103 {
		t.Errorf("second source starts at number %d, want 103", n)
	}
	step := ts - 960
	if step < 1 || float64(step) > elapsed.Seconds()*48000+1 {
		t.Errorf("second source starts %d ticks after the first ended, %v passed", step, elapsed)
	}
	n2, ts2 := second.renumber(&rtp.Header{PayloadType: 111, SequenceNumber: 50001, Timestamp: 2000000960})
	if n2 != 104 || ts2 != ts+960 {
		t.Errorf("second packet of the second source: %d/%d, want 104/%d", n2, ts2, ts+960)
	}
	if _, late := first.renumber(&rtp.Header{PayloadType: 111, SequenceNumber: 101, Timestamp: 0}); late != 0 {
		t.Errorf("late packet of the first source restamped to %d", late)
	}
	third := seqSpan{sequencer: &seq, clocks: clocks}
	if n3, ts3 := third.renumber(&rtp.Header{PayloadType: 111, SequenceNumber: 9, Timestamp: 5}); n3 != 105 || ts3-ts2 < 1 {
		t.Errorf("third source starts at %d/%d after %d/%d", n3, ts3, n2, ts2)
	}
}

// TestTimestampStepIsBounded checks the step of the timeline after a long
// pause: less than half the timestamp range, so that it never reads as a
// step back.
func TestTimestampStepIsBounded(t *testing.T) {
	seq := sequencer{started: true, last: 10, lastTS: 1000, lastAt: time.Now().Add(-10 * time.Hour)}
	s := seqSpan{sequencer: &seq, clocks: map[uint8]uint32{96: 90000}}
	_, ts := s.renumber(&rtp.Header{PayloadType: 96, SequenceNumber: 1, Timestamp: 1})
	if step := ts - 1000; step == 0 || step >= 1<<31 {
		t.Errorf("step after a long pause: %d", step)
	}
}

// pumpFrom writes a packet to every track every 10 ms until ctx ends,
// numbering and stamping them from the given start.
func pumpFrom(ctx context.Context, wg *sync.WaitGroup, seq uint16, ts uint32, tracks ...*webrtc.TrackLocalStaticRTP) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		ticker := time.NewTicker(10 * time.Millisecond)
		defer ticker.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-ticker.C:
			}
			seq++
			ts += 960
			for _, tr := range tracks {
				_ = tr.WriteRTP(&rtp.Packet{
					Header:  rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: ts, Marker: true},
					Payload: []byte{0x10, 0x00, 0x9d, 0x01, 0x2a, byte(seq)},
				})
			}
		}
	}()
}

// TestNewTracksReachTheServer publishes, pauses, and publishes new tracks
// whose numbers start about half the number space ahead of where the first
// ones stopped. The encodings keep their SSRCs, so without renumbering the
// server's SRTP context would guess the previous rollover counter for them
// and reject every packet of the second tracks as a replay.
//
// The publication is not made idle in between, although that is where
// applications meet the problem: the answerer here is plain pion, which
// stops a receiver offered inactive and then receives on the section again
// only by chance (the reference server works around it, see
// mindtest/internal/sfu/offer_rewrite.go).
func TestNewTracksReachTheServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	c, a, _ := connect(ctx, t, mustEngine(t), newAnswererAPI(t))
	if err := c.AddPublications(); err != nil {
		t.Fatal(err)
	}
	negotiate(ctx, t, c, a)
	var wg sync.WaitGroup
	defer wg.Wait()

	mic := newTestTrack(t, webrtc.RTPCodecTypeAudio, "")
	cam := newTestTrack(t, webrtc.RTPCodecTypeVideo, "")
	firstCtx, stopFirst := context.WithCancel(ctx)
	defer stopFirst()
	var firstDone sync.WaitGroup
	defer firstDone.Wait()
	if err := c.SetPublication(Primary, mic, []webrtc.TrackLocal{cam}); err != nil {
		t.Fatal(err)
	}
	negotiate(ctx, t, c, a)
	// The numbers wrap a few packets in, which starts the second rollover
	// period on both ends.
	pumpFrom(firstCtx, &firstDone, 65530, 0, mic, cam)
	waitFor(ctx, t, "media of the first tracks", func() bool {
		return a.packets("1", "") > 20 && a.packets("2", "l") > 20
	})
	encodings := c.PublicationEncodings(Primary)
	stopFirst()
	firstDone.Wait()
	// The second tracks start a little more than half the number space
	// ahead of where the first ones stopped (both kinds were numbered
	// alike): taken as they come, their numbers would be placed in the
	// previous rollover period, behind everything received so far, and
	// dropped as replayed.
	seq := &c.pubSections[0].relays[0].seq
	seq.mu.Lock()
	start := seq.last + 1<<15 + 1000
	seq.mu.Unlock()

	mic2 := newTestTrack(t, webrtc.RTPCodecTypeAudio, "")
	cam2 := newTestTrack(t, webrtc.RTPCodecTypeVideo, "")
	secondCtx, stopSecond := context.WithCancel(ctx)
	defer stopSecond()
	pumpFrom(secondCtx, &wg, start, 3000000000, mic2, cam2)
	audioBefore, videoBefore := a.packets("1", ""), a.packets("2", "l")
	// The encodings are live: the new tracks attach at once.
	if err := c.SetPublication(Primary, mic2, []webrtc.TrackLocal{cam2}); err != nil {
		t.Fatal(err)
	}
	waitFor(ctx, t, "media of the second tracks", func() bool {
		return a.packets("1", "") > audioBefore+20 && a.packets("2", "l") > videoBefore+20
	})
	after := c.PublicationEncodings(Primary)
	for i := range encodings {
		if encodings[i].SSRC != after[i].SSRC {
			t.Errorf("encoding %d changed SSRC from %d to %d", i, encodings[i].SSRC, after[i].SSRC)
		}
	}
}
