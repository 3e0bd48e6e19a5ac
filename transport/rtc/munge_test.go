package rtc

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// pionLikeOffer is shaped like what pion generates for a connection with
// the four publications (primary sending, three video encodings) and two
// receive slots, plus candidates.
const pionLikeOffer = "v=0\r\n" +
	"o=- 1 2 IN IP4 0.0.0.0\r\n" +
	"s=-\r\n" +
	"t=0 0\r\n" +
	"a=group:BUNDLE 0 1 2 3 4 5 6\r\n" +
	"m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n" +
	"c=IN IP4 0.0.0.0\r\n" +
	"a=mid:0\r\n" +
	"a=candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host\r\n" +
	"a=candidate:2 1 udp 1694498815 203.0.113.7 6000 typ srflx raddr 0.0.0.0 rport 5000\r\n" +
	"a=candidate:3 1 tcp 1010 127.0.0.1 9 typ host tcptype active\r\n" +
	"a=end-of-candidates\r\n" +
	"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n" +
	"c=IN IP4 0.0.0.0\r\n" +
	"a=setup:actpass\r\n" +
	"a=mid:1\r\n" +
	"a=rtpmap:111 opus/48000/2\r\n" +
	"a=ssrc:11 cname:me#primary\r\n" +
	"a=ssrc:11 msid:me#primary T1\r\n" +
	"a=msid:me#primary T1\r\n" +
	"a=sendonly\r\n" +
	"m=video 9 UDP/TLS/RTP/SAVPF 96\r\n" +
	"c=IN IP4 0.0.0.0\r\n" +
	"a=mid:2\r\n" +
	"a=rtpmap:96 VP8/90000\r\n" +
	"a=ssrc:21 msid:me#primary T2\r\n" +
	"a=msid:me#primary T2\r\n" +
	"a=ssrc:22 msid:me#primary T2\r\n" +
	"a=msid:me#primary T2\r\n" +
	"a=rid:l send\r\n" +
	"a=rid:m send\r\n" +
	"a=simulcast:send l;m\r\n" +
	"a=sendonly\r\n" +
	"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n" +
	"c=IN IP4 0.0.0.0\r\n" +
	"a=mid:3\r\n" +
	"a=ssrc:31 msid:me#secondary T3\r\n" +
	"a=ssrc-group:FID 31 32\r\n" +
	"a=msid:me#secondary T3\r\n" +
	"a=sendonly\r\n" +
	"m=video 9 UDP/TLS/RTP/SAVPF 96\r\n" +
	"c=IN IP4 0.0.0.0\r\n" +
	"a=mid:4\r\n" +
	"a=sendonly\r\n" +
	"m=video 9 UDP/TLS/RTP/SAVPF 96\r\n" +
	"c=IN IP4 0.0.0.0\r\n" +
	"a=mid:5\r\n" +
	"a=recvonly\r\n" +
	"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n" +
	"c=IN IP4 0.0.0.0\r\n" +
	"a=mid:6\r\n" +
	"a=recvonly\r\n"

func testPlans() []sectionPlan {
	return []sectionPlan{
		{mid: "1", direction: dirSendonly, stream: "me#primary", track: "T1"},
		{mid: "2", direction: dirSendonly, stream: "me#primary", track: "T2", simulcast: []string{"l", "m", "~h"}},
		{mid: "3", direction: dirInactive, stream: "-", track: "3"},
		{mid: "4", direction: dirInactive, stream: "-", track: "4", simulcast: []string{"~l", "~m", "h"}},
		{mid: "5", direction: dirRecvonly, stream: "p1#primary", track: "R5", tias: 500000, preferences: "57600@15"},
		{mid: "6", direction: dirInactive, stream: "-", track: "6"},
	}
}

func TestMungeOffer(t *testing.T) {
	out, err := mungeOffer(pionLikeOffer, testPlans())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "typ host") {
		t.Errorf("host candidate left:\n%s", out)
	}
	if !strings.Contains(out, "typ srflx") {
		t.Errorf("srflx candidate dropped:\n%s", out)
	}
	if !strings.HasSuffix(out, "\r\n") || strings.Contains(strings.ReplaceAll(out, "\r\n", ""), "\n") {
		t.Error("lines must end in CRLF")
	}

	wantMsid := map[string]string{"1": "me#primary T1", "2": "me#primary T2", "3": "- 3", "4": "- 4", "5": "p1#primary R5", "6": "- 6"}
	wantDir := map[string]string{"1": dirSendonly, "2": dirSendonly, "3": dirInactive, "4": dirInactive, "5": dirRecvonly, "6": dirInactive}
	for mid := range wantMsid {
		lines := sectionByMid(t, out, mid)
		checkMsid(t, lines, mid, wantMsid[mid])
		checkDirection(t, lines, wantDir[mid])
	}
	checkSimulcast(t, sectionByMid(t, out, "2"), "l;m;~h")
	checkSimulcast(t, sectionByMid(t, out, "4"), "~l;~m;h")
	checkLimits(t, sectionByMid(t, out, "5"), "b=TIAS:500000", "a=x-preferences:57600@15")

	// ssrc lines stay on sending sections, go from inactive ones.
	if !slicesContains(sectionByMid(t, out, "1"), "a=ssrc:11 msid:me#primary T1") {
		t.Error("a=ssrc msid line of a sending section was removed")
	}
	for _, l := range sectionByMid(t, out, "3") {
		if strings.HasPrefix(l, "a=ssrc") {
			t.Errorf("inactive section keeps %s", l)
		}
	}
	// b=TIAS sits right after c=.
	video := sectionByMid(t, out, "5")
	if video[1] != "c=IN IP4 0.0.0.0" || video[2] != "b=TIAS:500000" {
		t.Errorf("slot section starts %q", video[:3])
	}

	// Idempotent: munging the munged offer changes nothing.
	again, err := mungeOffer(out, testPlans())
	if err != nil || again != out {
		t.Errorf("second munge differs (err %v):\n%s", err, again)
	}
}

func TestMungeFirstOffer(t *testing.T) {
	first := "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n" +
		"a=mid:0\r\na=candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host\r\na=msid:keep me\r\n"
	out, err := mungeOffer(first, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(first, "a=candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host\r\n", "", 1)
	if out != want {
		t.Errorf("got\n%q\nwant\n%q", out, want)
	}
}

func TestMungeErrors(t *testing.T) {
	plans := testPlans()
	cases := map[string]struct {
		sdp   string
		plans []sectionPlan
	}{
		"not sdp":          {"hello", nil},
		"no version first": {"o=- 1 1 IN IP4 0.0.0.0\r\nv=0\r\n", nil},
		"too few plans":    {pionLikeOffer, plans[:5]},
		"too many plans":   {pionLikeOffer, append(plans[:6:6], sectionPlan{mid: "7"})},
		"mid mismatch":     {pionLikeOffer, append([]sectionPlan{plans[1], plans[0]}, plans[2:]...)},
	}
	for name, tc := range cases {
		if _, err := mungeOffer(tc.sdp, tc.plans); !errors.Is(err, ErrMalformedSDP) {
			t.Errorf("%s: err = %v, want ErrMalformedSDP", name, err)
		}
	}
}

func TestPreferencesValue(t *testing.T) {
	cases := map[Limits]string{
		{}:                                       "0@0",
		{MaxFrameArea: 230400, MaxFrameRate: 15}: "230400@15",
		{MaxFrameRate: 7.5}:                      "0@7.5",
		{MaxFrameArea: -1, MaxFrameRate: -3}:     "0@0",
	}
	for in, want := range cases {
		if got := preferencesValue(in); got != want {
			t.Errorf("preferencesValue(%+v) = %q, want %q", in, got, want)
		}
	}
}

// FuzzMungeOffer checks that the munger never panics and that whatever it
// accepts comes out following protocol §4.7.
func FuzzMungeOffer(f *testing.F) {
	f.Add(pionLikeOffer)
	files, _ := filepath.Glob(filepath.Join(fixtureDir, "*.sdp"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(string(b))
		}
	}
	f.Fuzz(func(t *testing.T, offer string) {
		if _, err := mungeOffer(offer, nil); err != nil && !errors.Is(err, ErrMalformedSDP) {
			t.Fatalf("unexpected error type: %v", err)
		}
		_, sections, err := splitSDP(offer)
		if err != nil || len(sections) < 2 {
			return
		}
		plans := make([]sectionPlan, 0, len(sections)-1)
		for i, lines := range sections[1:] {
			mid := ""
			for _, l := range lines[1:] {
				if v, ok := strings.CutPrefix(l, "a=mid:"); ok {
					mid = v

					break
				}
			}
			plan := sectionPlan{mid: mid, direction: dirInactive, stream: "-", track: mid}
			if i%2 == 0 {
				plan = sectionPlan{mid: mid, direction: dirRecvonly, stream: "label", track: "id",
					tias: 1000, preferences: "1@1", simulcast: []string{"l", "~m", "~h"}}
			}
			plans = append(plans, plan)
		}
		out, err := mungeOffer(offer, plans)
		if err != nil {
			if !errors.Is(err, ErrMalformedSDP) {
				t.Fatalf("unexpected error type: %v", err)
			}

			return
		}
		_, got, err := splitSDP(out)
		if err != nil || len(got) != len(sections) {
			t.Fatalf("munged offer does not parse back: %v", err)
		}
		for i, lines := range got[1:] {
			msid := 0
			for j, l := range lines {
				if strings.HasPrefix(l, "a=msid:") {
					msid++
					if !strings.HasPrefix(lines[j-1], "a=mid:") {
						t.Fatalf("section %d: a=msid not after a=mid", i+1)
					}
				}
				if isHostCandidate(l) {
					t.Fatalf("host candidate left: %q", l)
				}
			}
			if msid != 1 {
				t.Fatalf("section %d: %d a=msid lines", i+1, msid)
			}
		}
	})
}
