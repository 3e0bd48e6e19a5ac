package sfu

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/sdp/v3"
	"github.com/stretchr/testify/require"

	"github.com/mindsdk/mindgo/transport"
)

// recorder collects room events for assertions.
type recorder struct {
	mu     sync.Mutex
	events []string
	dist   []Distortion
	notify chan struct{}
}

func newRecorder() *recorder { return &recorder{notify: make(chan struct{}, 1)} }

func (r *recorder) add(s string) {
	r.mu.Lock()
	r.events = append(r.events, s)
	r.mu.Unlock()
	select {
	case r.notify <- struct{}{}:
	default:
	}
}

func (r *recorder) DataChannelOpen(pid string)   { r.add("open " + pid) }
func (r *recorder) DataChannelClosed(pid string) { r.add("closed " + pid) }
func (r *recorder) MediaFlags(pid string, p, s transport.MediaFlags) {
	r.add("flags " + pid + " " + flagText(p) + " " + flagText(s))
}

func (r *recorder) DistortionReport(pid string, d Distortion) {
	r.mu.Lock()
	r.dist = append(r.dist, d)
	r.mu.Unlock()
	r.add("distortion " + pid + " " + d.MTID)
}

func flagText(f transport.MediaFlags) string {
	s := ""
	if f.Audio {
		s += "a"
	}
	if f.Video {
		s += "v"
	}
	if s == "" {
		s = "-"
	}

	return s
}

func (r *recorder) snapshot() []string {
	r.mu.Lock()
	defer r.mu.Unlock()

	return append([]string(nil), r.events...)
}

// waitFor waits until an event equal to want has been recorded.
func (r *recorder) waitFor(ctx context.Context, t *testing.T, want string) {
	t.Helper()
	for {
		for _, e := range r.snapshot() {
			if e == want {
				return
			}
		}
		select {
		case <-r.notify:
		case <-ctx.Done():
			t.Fatalf("event %q not seen; got %q", want, r.snapshot())
		}
	}
}

func newTestEngine(t testing.TB) *Engine {
	t.Helper()
	e, err := NewEngine(Config{TickInterval: 100 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, e.Close()) })

	return e
}

func TestFixtureOffersAccepted(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	e := newTestEngine(t)
	rec := newRecorder()
	room, err := e.NewRoom(RoomConfig{Events: rec})
	require.NoError(t, err)
	const me = "7d1c9a52-3b6e-4f0a-9c8d-2e5f6a7b8c01"

	var firstUfrag string
	for i, name := range fixtureNames {
		text := readFixture(t, name)
		o, err := ParseOffer(text)
		require.NoError(t, err)
		answer, err := room.Offer(ctx, me, text)
		require.NoError(t, err, name)

		var parsed sdp.SessionDescription
		require.NoError(t, parsed.UnmarshalString(answer), name)
		ufrag := checkAnswer(t, name, o, &parsed)
		checkAnswerCodecs(t, name, text, &parsed)
		if i == 0 {
			firstUfrag = ufrag
		}
		require.Equal(t, firstUfrag, ufrag, "%s: renegotiation must keep the ICE credentials", name)
	}
	rec.waitFor(ctx, t, "flags "+me+" av -")
	rec.waitFor(ctx, t, "flags "+me+" av v")
}

// checkAnswer verifies the answer rules of protocol §4.11 and returns the
// answer's ICE ufrag.
func checkAnswer(t *testing.T, name string, o *Offer, a *sdp.SessionDescription) string {
	t.Helper()
	require.Len(t, a.MediaDescriptions, len(o.Sections), name)
	group, ok := a.Attribute("group")
	require.True(t, ok, name)
	mids := make([]string, len(o.Sections))
	for i, s := range o.Sections {
		mids[i] = s.Mid
	}
	require.Equal(t, "BUNDLE "+strings.Join(mids, " "), group, name)
	_, hasFP := a.Attribute("fingerprint")

	ufrag := ""
	candidates := 0
	for i, m := range a.MediaDescriptions {
		s := o.Sections[i]
		mid, _ := m.Attribute("mid")
		require.Equal(t, s.Mid, mid, name)
		require.Equal(t, s.Kind, m.MediaName.Media, name)
		if u, ok := m.Attribute("ice-ufrag"); ok {
			ufrag = u
		}
		if _, ok := m.Attribute("fingerprint"); ok {
			hasFP = true
		}
		setup, ok := m.Attribute("setup")
		require.True(t, ok, name)
		require.Contains(t, []string{"active", "passive"}, setup, name)
		for _, at := range m.Attributes {
			if at.Key == "candidate" {
				candidates++
				require.Contains(t, at.Value, "127.0.0.1", name)
			}
		}
		if s.Kind == "application" {
			_, ok := m.Attribute("sctp-port")
			require.True(t, ok, name)

			continue
		}
		_, mux := m.Attribute("rtcp-mux")
		require.True(t, mux, name)
		dir := answerDirectionOf(m)
		want := answerDirection(&s)
		require.Equal(t, want.String(), dir, "%s mid %s", name, s.Mid)
		if s.Position == 2 || s.Position == 4 {
			rids := attributeValues(m, "rid")
			require.Equal(t, []string{"l recv", "m recv", "h recv"}, rids, "%s mid %s", name, s.Mid)
			sim, _ := m.Attribute("simulcast")
			require.Equal(t, "recv l;m;h", sim, "%s mid %s", name, s.Mid)
		}
		if s.Position >= 5 && want == SendOnly {
			require.NotEmpty(t, attributeValues(m, "msid"), "%s mid %s", name, s.Mid)
			require.NotEmpty(t, attributeValues(m, "ssrc"), "%s mid %s", name, s.Mid)
		}
		require.NotEmpty(t, m.MediaName.Formats, name)
	}
	require.True(t, hasFP, name)
	require.NotEmpty(t, ufrag, name)
	require.Positive(t, candidates, "%s: the answer must carry the server's candidates", name)

	return ufrag
}

// checkAnswerCodecs verifies that every answered payload type was offered
// in its section, with the same codec, and that every video section that
// carries media accepts both VP8 and H.264 (42e01f, packetization-mode 1),
// since Chromium sends H.264 when both are answered (protocol §4.13).
func checkAnswerCodecs(t *testing.T, name, offerText string, a *sdp.SessionDescription) {
	t.Helper()
	var offer sdp.SessionDescription
	require.NoError(t, offer.UnmarshalString(offerText), name)
	for i, m := range a.MediaDescriptions {
		if m.MediaName.Media == "application" {
			continue
		}
		mid, _ := m.Attribute("mid")
		offered := rtpmaps(offer.MediaDescriptions[i])
		answered := rtpmaps(m)
		for _, pt := range m.MediaName.Formats {
			codec, ok := offered[pt]
			require.True(t, ok, "%s mid %s: payload type %s was not offered", name, mid, pt)
			require.Equal(t, codec, answered[pt], "%s mid %s: payload type %s", name, mid, pt)
		}
		if m.MediaName.Media != "video" || answerDirectionOf(m) == "inactive" {
			continue
		}
		names := map[string]bool{}
		for pt, codec := range answered {
			codecName, _, _ := strings.Cut(codec, "/")
			codecName = strings.ToUpper(codecName)
			names[codecName] = true
			if codecName == "H264" {
				fmtp := fmtpOf(m, pt)
				require.Contains(t, fmtp, "packetization-mode=1", "%s mid %s", name, mid)
				require.Contains(t, fmtp, "profile-level-id=42e01f", "%s mid %s", name, mid)
			}
		}
		require.True(t, names["VP8"] && names["H264"], "%s mid %s answers %v", name, mid, names)
	}
}

// rtpmaps maps a section's payload types to their rtpmap codec.
func rtpmaps(m *sdp.MediaDescription) map[string]string {
	out := map[string]string{}
	for _, v := range attributeValues(m, "rtpmap") {
		pt, codec, _ := strings.Cut(v, " ")
		out[pt] = codec
	}

	return out
}

func fmtpOf(m *sdp.MediaDescription, pt string) string {
	for _, v := range attributeValues(m, "fmtp") {
		if p, params, _ := strings.Cut(v, " "); p == pt {
			return params
		}
	}

	return ""
}

func answerDirectionOf(m *sdp.MediaDescription) string {
	for _, at := range m.Attributes {
		switch at.Key {
		case "sendrecv", "sendonly", "recvonly", "inactive":
			return at.Key
		}
	}

	return "sendrecv"
}

func attributeValues(m *sdp.MediaDescription, key string) []string {
	var out []string
	for _, at := range m.Attributes {
		if at.Key == key {
			out = append(out, at.Value)
		}
	}

	return out
}
