package rtc

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// fixtureDir holds the offers a real browser client (Mind Web SDK in
// Chromium 156) posted during one session, byte for byte.
const fixtureDir = "testdata/chromium"

// shape is what protocol §4.6/§4.7 fix about an offer's media section;
// codecs, extensions, ports and identifiers are left out.
type shape struct {
	media, proto string
	mid          string
	direction    string
	msid         string // stream, or "- <mid>" when there is no stream
	msidCount    int
	msidAfterMid bool
	rids         string
	simulcast    string
	tias         string
	preferences  string
	candidates   int
}

func shapes(t testing.TB, offer string) (bundle string, out []shape) {
	t.Helper()
	session, sections, err := splitSDP(offer)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range session {
		if v, ok := strings.CutPrefix(l, "a=group:BUNDLE "); ok {
			bundle = v
		}
	}
	for _, lines := range sections {
		fields := strings.Fields(strings.TrimPrefix(lines[0], "m="))
		s := shape{media: fields[0], proto: fields[2]}
		var rids []string
		for i, l := range lines {
			switch {
			case strings.HasPrefix(l, "a=mid:"):
				s.mid = strings.TrimPrefix(l, "a=mid:")
			case isDirection(l):
				s.direction = strings.TrimPrefix(l, "a=")
			case strings.HasPrefix(l, "a=msid:"):
				s.msidCount++
				s.msidAfterMid = strings.HasPrefix(lines[i-1], "a=mid:")
				f := strings.Fields(strings.TrimPrefix(l, "a=msid:"))
				s.msid = f[0]
				if f[0] == "-" && len(f) > 1 {
					s.msid = "- " + f[1]
				}
			case strings.HasPrefix(l, "a=rid:"):
				rids = append(rids, strings.TrimPrefix(l, "a=rid:"))
			case strings.HasPrefix(l, "a=simulcast:"):
				s.simulcast = strings.TrimPrefix(l, "a=simulcast:")
			case strings.HasPrefix(l, "b=TIAS:"):
				s.tias = l
			case strings.HasPrefix(l, "a=x-preferences:"):
				s.preferences = l
			case strings.HasPrefix(l, "a=candidate:"):
				s.candidates++
			}
		}
		s.rids = strings.Join(rids, ",")
		out = append(out, s)
	}

	return bundle, out
}

// TestOffersMatchBrowserFixtures replays the captured browser session with
// a Conn and compares the shape of every offer with the browser's.
func TestOffersMatchBrowserFixtures(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	ev := newEvents()
	c, err := mustEngine(t).NewConn(ev.handlers())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	a := newAnswerer(t, newAnswererAPI(t))
	const remote = "a1b2c3d4-0000-4000-8000-000000000002"
	mic := newTestTrack(t, webrtc.RTPCodecTypeAudio, "")
	camL := newTestTrack(t, webrtc.RTPCodecTypeVideo, "l")
	camM := newTestTrack(t, webrtc.RTPCodecTypeVideo, "m")
	var slot6 *Slot

	steps := []struct {
		file   string
		before func() error
	}{
		{"01-first-offer.sdp", func() error { return nil }},
		{"02-publications-inactive.sdp", c.AddPublications},
		{"03-primary-send-simulcast.sdp", func() error {
			return c.SetPublication(Primary, mic, []webrtc.TrackLocal{camL, camM})
		}},
		{"04-secondary-send.sdp", func() error {
			return c.SetPublication(Secondary, nil, []webrtc.TrackLocal{camL, camM})
		}},
		{"05-receive-slots.sdp", func() error {
			var err error
			for _, s := range []struct {
				label string
				kind  webrtc.RTPCodecType
			}{
				{remote + "#primary", webrtc.RTPCodecTypeAudio},
				{remote + "#primary", webrtc.RTPCodecTypeVideo},
				{"conference", webrtc.RTPCodecTypeAudio},
				{"conference", webrtc.RTPCodecTypeVideo},
			} {
				var slot *Slot
				if slot, err = c.Subscribe(s.label, s.kind, Limits{}); err != nil {
					return err
				}
				if slot.Mid() == "6" {
					slot6 = slot
				}
			}

			return nil
		}},
		{"06-receive-slots-limits.sdp", func() error {
			return slot6.SetLimits(Limits{MaxBitrate: 500000, MaxFrameArea: 57600, MaxFrameRate: 15})
		}},
	}
	for i, step := range steps {
		if err := step.before(); err != nil {
			t.Fatalf("%s: %v", step.file, err)
		}
		offer := negotiate(ctx, t, c, a)
		if i == 0 {
			receive(ctx, t, "data channel open", ev.open)
		}
		if step.file == "05-receive-slots.sdp" {
			// Let pion settle the server's early media on the new slots
			// before the connection closes (see Conn.Close).
			mids := map[string]bool{}
			for len(mids) < 4 {
				mids[receive(ctx, t, "tracks on the slots", ev.tracks).mid] = true
			}
		}
		browser, err := os.ReadFile(filepath.Join(fixtureDir, step.file))
		if err != nil {
			t.Fatal(err)
		}
		wantBundle, want := shapes(t, string(browser))
		gotBundle, got := shapes(t, offer.SDP)
		if gotBundle != wantBundle {
			t.Errorf("%s: BUNDLE %q, browser %q", step.file, gotBundle, wantBundle)
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %d sections, browser %d", step.file, len(got), len(want))
		}
		for j := range want {
			if want[j].tias != "" && got[j].tias != "" {
				// Same value; the position differs on purpose (quirk Q18).
				want[j].tias = got[j].tias
			}
			if got[j].media == "application" && got[j].direction == "sendrecv" {
				got[j].direction = "" // pion writes it on the data section; harmless
			}
			if !reflect.DeepEqual(got[j], want[j]) {
				t.Errorf("%s section %d:\n got %+v\nwant %+v", step.file, j, got[j], want[j])
			}
		}
	}
}
