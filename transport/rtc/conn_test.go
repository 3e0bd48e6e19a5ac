package rtc

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

func sectionLines(t testing.TB, offer string) [][]string {
	t.Helper()
	_, sections, err := splitSDP(offer)
	if err != nil {
		t.Fatal(err)
	}

	return sections
}

func TestFirstOfferAndDataChannel(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	engine := mustEngine(t)
	ev := newEvents()
	c, err := engine.NewConn(ev.handlers())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	a := newAnswerer(t, newAnswererAPI(t))

	offer := negotiate(ctx, t, c, a)
	if !offer.Initial {
		t.Error("first offer not marked initial")
	}
	sections := sectionLines(t, offer.SDP)
	if len(sections) != 1 || !strings.HasPrefix(sections[0][0], "m=application ") ||
		!slicesContains(sections[0], "a=mid:0") {
		t.Fatalf("first offer must have only m=application mid 0:\n%s", offer.SDP)
	}
	if strings.Contains(offer.SDP, "a=candidate:") {
		t.Errorf("first offer carries candidates:\n%s", offer.SDP)
	}
	if !strings.Contains(offer.Local, "typ host") {
		t.Errorf("local description should keep pion's host candidates:\n%s", offer.Local)
	}

	receive(ctx, t, "data channel open", ev.open)
	receive(ctx, t, "answerer data channel open", a.open)
	if err := c.Send("1:conference#video:1718000000123:4"); err != nil {
		t.Fatal(err)
	}
	if got := receive(ctx, t, "message at the answerer", a.msgs); got != "1:conference#video:1718000000123:4" {
		t.Errorf("answerer got %q", got)
	}
	if err := a.dc.SendText(`{"type":"updated","location":"/"}`); err != nil {
		t.Fatal(err)
	}
	if got := receive(ctx, t, "message at the client", ev.messages); got != `{"type":"updated","location":"/"}` {
		t.Errorf("client got %q", got)
	}
	if pair, ok := c.SelectedCandidatePair(); !ok || pair.Protocol != "udp" ||
		pair.RemoteAddress != "127.0.0.1" || pair.RemotePort == 0 || pair.LocalPort == 0 {
		t.Errorf("selected pair = %+v, %v", pair, ok)
	}
}

func TestPublicationLayout(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	c, a, _ := connect(ctx, t, mustEngine(t), newAnswererAPI(t))

	if err := c.AddPublications(); err != nil {
		t.Fatal(err)
	}
	offer := negotiate(ctx, t, c, a)
	sections := sectionLines(t, offer.SDP)
	if len(sections) != 5 {
		t.Fatalf("want 5 sections, got %d:\n%s", len(sections), offer.SDP)
	}
	kinds := []string{"application", "audio", "video", "audio", "video"}
	for i, lines := range sections {
		if !strings.HasPrefix(lines[0], "m="+kinds[i]+" ") {
			t.Errorf("section %d: %s, want %s", i, lines[0], kinds[i])
		}
		if i == 0 {
			continue
		}
		mid := midOf(i)
		checkMsid(t, lines, mid, "- "+mid)
		checkDirection(t, lines, dirInactive)
		if kinds[i] == "video" {
			checkSimulcast(t, lines, "~l;~m;h")
		}
		for _, l := range lines {
			if strings.HasPrefix(l, "a=ssrc") {
				t.Errorf("inactive section %s keeps %s", mid, l)
			}
		}
	}
}

// checkMsid asserts exactly one a=msid line, right after a=mid.
func checkMsid(t testing.TB, lines []string, mid, want string) {
	t.Helper()
	count := 0
	for i, l := range lines {
		if strings.HasPrefix(l, "a=msid:") {
			count++
			if i == 0 || lines[i-1] != "a=mid:"+mid {
				t.Errorf("mid %s: a=msid not right after a=mid", mid)
			}
			if want != "" && l != "a=msid:"+want {
				t.Errorf("mid %s: %s, want a=msid:%s", mid, l, want)
			}
		}
	}
	if count != 1 {
		t.Errorf("mid %s: %d a=msid lines", mid, count)
	}
}

func checkDirection(t testing.TB, lines []string, want string) {
	t.Helper()
	var got []string
	for _, l := range lines {
		if isDirection(l) {
			got = append(got, strings.TrimPrefix(l, "a="))
		}
	}
	if len(got) != 1 || got[0] != want {
		t.Errorf("%s: directions %v, want %s", lines[0], got, want)
	}
}

func checkSimulcast(t testing.TB, lines []string, want string) {
	t.Helper()
	var rids, simulcast []string
	for _, l := range lines {
		if strings.HasPrefix(l, "a=rid:") {
			rids = append(rids, l)
		}
		if strings.HasPrefix(l, "a=simulcast:") {
			simulcast = append(simulcast, l)
		}
	}
	wantRids := []string{"a=rid:l send", "a=rid:m send", "a=rid:h send"}
	if strings.Join(rids, "|") != strings.Join(wantRids, "|") {
		t.Errorf("rid lines %q", rids)
	}
	if len(simulcast) != 1 || simulcast[0] != "a=simulcast:send "+want {
		t.Errorf("simulcast lines %q, want send %s", simulcast, want)
	}
}

func sectionByMid(t testing.TB, offer, mid string) []string {
	t.Helper()
	for _, lines := range sectionLines(t, offer) {
		if slicesContains(lines, "a=mid:"+mid) {
			return lines
		}
	}
	t.Fatalf("no section with mid %s", mid)

	return nil
}

func TestPublishMedia(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	c, a, ev := connect(ctx, t, mustEngine(t), newAnswererAPI(t))
	if err := c.AddPublications(); err != nil {
		t.Fatal(err)
	}
	negotiate(ctx, t, c, a)

	mic := newTestTrack(t, webrtc.RTPCodecTypeAudio, "")
	layers := []*webrtc.TrackLocalStaticRTP{
		newTestTrack(t, webrtc.RTPCodecTypeVideo, "l"),
		newTestTrack(t, webrtc.RTPCodecTypeVideo, "m"),
		newTestTrack(t, webrtc.RTPCodecTypeVideo, "h"),
	}
	if err := c.SetPublication(Primary, mic, []webrtc.TrackLocal{layers[0], layers[1], layers[2]}); err != nil {
		t.Fatal(err)
	}
	offer := negotiate(ctx, t, c, a)
	audio := sectionByMid(t, offer.SDP, "1")
	checkDirection(t, audio, dirSendonly)
	checkMsid(t, audio, "1", "")
	if !strings.HasPrefix(msidOf(audio), "me#primary ") {
		t.Errorf("audio msid %q", msidOf(audio))
	}
	video := sectionByMid(t, offer.SDP, "2")
	checkDirection(t, video, dirSendonly)
	checkMsid(t, video, "2", "")
	checkSimulcast(t, video, "l;m;h")
	checkDirection(t, sectionByMid(t, offer.SDP, "3"), dirInactive)
	checkSimulcast(t, sectionByMid(t, offer.SDP, "4"), "~l;~m;h")

	pumpCtx, stopPump := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer stopPump()
	pump(pumpCtx, &wg, mic, layers[0], layers[1], layers[2])

	waitFor(ctx, t, "RTP on every encoding", func() bool {
		return a.packets("1", "") > 3 && a.packets("2", "l") > 3 && a.packets("2", "m") > 3 && a.packets("2", "h") > 3
	})
	a.mu.Lock()
	stream := a.streams["2/l"]
	a.mu.Unlock()
	if stream != "me#primary" {
		t.Errorf("answerer saw video stream %q", stream)
	}

	// A keyframe request from the server reaches the owner.
	a.mu.Lock()
	ssrc := a.ssrcs["2/m"]
	a.mu.Unlock()
	if err := a.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(ssrc)}}); err != nil {
		t.Fatal(err)
	}
	for got := receive(ctx, t, "keyframe request", ev.keyframe); got != "primary/m"; {
		got = receive(ctx, t, "keyframe request", ev.keyframe)
	}
}

func msidOf(lines []string) string {
	for _, l := range lines {
		if v, ok := strings.CutPrefix(l, "a=msid:"); ok {
			return v
		}
	}

	return ""
}

func TestPublicationToggle(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	c, a, _ := connect(ctx, t, mustEngine(t), newAnswererAPI(t))
	if err := c.AddPublications(); err != nil {
		t.Fatal(err)
	}
	negotiate(ctx, t, c, a)

	mic := newTestTrack(t, webrtc.RTPCodecTypeAudio, "")
	cam := newTestTrack(t, webrtc.RTPCodecTypeVideo, "")
	pumpCtx, stopPump := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer stopPump()
	pump(pumpCtx, &wg, mic, cam)

	for round := range 2 {
		// Secondary publication: a single layer without RID becomes rid l.
		if err := c.SetPublication(Secondary, mic, []webrtc.TrackLocal{cam}); err != nil {
			t.Fatal(err)
		}
		// Nothing is sent before the server accepted the sections.
		if attached(c, 2, "") || attached(c, 3, "l") {
			t.Errorf("round %d: tracks attached before the answer", round)
		}
		offer := negotiate(ctx, t, c, a)
		if !attached(c, 2, "") || !attached(c, 3, "l") || attached(c, 3, "m") {
			t.Errorf("round %d: attachment after the answer is wrong", round)
		}
		checkDirection(t, sectionByMid(t, offer.SDP, "3"), dirSendonly)
		video := sectionByMid(t, offer.SDP, "4")
		checkDirection(t, video, dirSendonly)
		checkSimulcast(t, video, "l;~m;~h")
		if !strings.HasPrefix(msidOf(video), "me#secondary ") {
			t.Errorf("round %d: video msid %q", round, msidOf(video))
		}
		audioBefore, videoBefore := a.packets("3", ""), a.packets("4", "l")
		waitFor(ctx, t, "media after activation", func() bool {
			return a.packets("3", "") > audioBefore+3 && a.packets("4", "l") > videoBefore+3
		})

		if err := c.SetPublication(Secondary, nil, nil); err != nil {
			t.Fatal(err)
		}
		offer = negotiate(ctx, t, c, a)
		checkDirection(t, sectionByMid(t, offer.SDP, "3"), dirInactive)
		checkMsid(t, sectionByMid(t, offer.SDP, "4"), "4", "- 4")
		checkSimulcast(t, sectionByMid(t, offer.SDP, "4"), "~l;~m;h")
		// Once idle, the application's tracks are detached from pion.
		for _, r := range c.pubSections[3].relays {
			r.mu.Lock()
			attached := r.source != nil || r.bound != nil
			r.mu.Unlock()
			if attached {
				t.Errorf("round %d: rid %s still attached while inactive", round, r.rid)
			}
		}
	}
}

func TestSubscribeSlots(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	c, a, ev := connect(ctx, t, mustEngine(t), newAnswererAPI(t))

	// A subscription made before the publications exist gets position 5.
	conf, err := c.Subscribe("conference", webrtc.RTPCodecTypeVideo, Limits{MaxBitrate: 500000, MaxFrameArea: 230400, MaxFrameRate: 15})
	if err != nil {
		t.Fatal(err)
	}
	if conf.Mid() != "" {
		t.Errorf("pending slot has mid %q", conf.Mid())
	}
	if err := c.AddPublications(); err != nil {
		t.Fatal(err)
	}
	if conf.Mid() != "5" {
		t.Fatalf("conference slot mid %q, want 5", conf.Mid())
	}
	audio, err := c.Subscribe("p1#primary", webrtc.RTPCodecTypeAudio, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	offer := negotiate(ctx, t, c, a)
	video := sectionByMid(t, offer.SDP, "5")
	checkDirection(t, video, dirRecvonly)
	checkMsid(t, video, "5", "")
	if !strings.HasPrefix(msidOf(video), "conference ") {
		t.Errorf("slot msid %q", msidOf(video))
	}
	checkLimits(t, video, "b=TIAS:500000", "a=x-preferences:230400@15")
	audioLines := sectionByMid(t, offer.SDP, "6")
	checkDirection(t, audioLines, dirRecvonly)
	for _, l := range audioLines {
		if strings.HasPrefix(l, "a=x-preferences") || strings.HasPrefix(l, "b=") {
			t.Errorf("audio slot carries %s", l)
		}
	}

	// The answerer's track reaches OnTrack with the slot's mid.
	seen := map[string]string{}
	for len(seen) < 2 {
		e := receive(ctx, t, "remote tracks", ev.tracks)
		seen[e.mid] = e.track.StreamID()
	}
	if seen["5"] != "conference" || seen["6"] != "p1#primary" {
		t.Errorf("tracks by mid: %v", seen)
	}
	if c.SlotByMid("5") != conf {
		t.Error("SlotByMid(5) is not the conference slot")
	}
	tr, _ := conf.Track()
	if tr == nil || tr.StreamID() != "conference" {
		t.Fatalf("conf.Track() = %v", tr)
	}
	// Read the track as an owner does. pion counts a received packet when
	// it is read; without a reader only the packet pion reads itself
	// before OnTrack could ever be counted (see TestRecordersCountFirstPacket).
	var drained sync.WaitGroup
	drained.Go(func() {
		buf := make([]byte, 1500)
		for {
			if _, _, err := tr.Read(buf); err != nil {
				return
			}
		}
	})
	waitFor(ctx, t, "inbound statistics", func() bool {
		s, ok := c.RTPStats(tr.SSRC())

		return ok && s.InboundRTPStreamStats.PacketsReceived > 0 && s.InboundRTPStreamStats.BytesReceived > 0
	})
	if err := tr.SetReadDeadline(time.Unix(1, 0)); err != nil {
		t.Fatal(err)
	}
	drained.Wait()

	// Release both; a new video subscription reuses mid 5 (not the audio
	// slot), a second one appends mid 7.
	if err := conf.Release(); err != nil {
		t.Fatal(err)
	}
	if err := conf.Release(); !errors.Is(err, ErrSlotReleased) {
		t.Errorf("second Release: %v", err)
	}
	if err := conf.SetLimits(Limits{}); !errors.Is(err, ErrSlotReleased) {
		t.Errorf("SetLimits after Release: %v", err)
	}
	if err := audio.Release(); err != nil {
		t.Fatal(err)
	}
	offer = negotiate(ctx, t, c, a)
	for _, mid := range []string{"5", "6"} {
		lines := sectionByMid(t, offer.SDP, mid)
		checkDirection(t, lines, dirInactive)
		checkMsid(t, lines, mid, "- "+mid)
		for _, l := range lines {
			if strings.HasPrefix(l, "a=x-preferences") || strings.HasPrefix(l, "b=") {
				t.Errorf("parked slot %s carries %s", mid, l)
			}
		}
	}
	if tr, _ := conf.Track(); tr != nil {
		t.Error("released slot still returns a track")
	}

	v1, err := c.Subscribe("p2#primary", webrtc.RTPCodecTypeVideo, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	v2, err := c.Subscribe("p2#secondary", webrtc.RTPCodecTypeVideo, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if v1.Mid() != "5" || v2.Mid() != "7" {
		t.Errorf("video slots %s, %s; want 5, 7", v1.Mid(), v2.Mid())
	}
	offer = negotiate(ctx, t, c, a)
	lines := sectionByMid(t, offer.SDP, "5")
	checkDirection(t, lines, dirRecvonly)
	checkLimits(t, lines, "", "a=x-preferences:0@0")
	checkDirection(t, sectionByMid(t, offer.SDP, "6"), dirInactive)

	// The reused slot gets a track again.
	e := receive(ctx, t, "track on the reused slot", ev.tracks)
	for e.mid != "5" {
		e = receive(ctx, t, "track on the reused slot", ev.tracks)
	}

	// LIFO: park 7 then 5; the next video subscription takes 5.
	if err := v2.Release(); err != nil {
		t.Fatal(err)
	}
	if err := v1.Release(); err != nil {
		t.Fatal(err)
	}
	v3, err := c.Subscribe("p3#primary", webrtc.RTPCodecTypeVideo, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	v4, err := c.Subscribe("p3#secondary", webrtc.RTPCodecTypeVideo, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	a2, err := c.Subscribe("p3#primary", webrtc.RTPCodecTypeAudio, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if v3.Mid() != "5" || v4.Mid() != "7" || a2.Mid() != "6" {
		t.Errorf("LIFO reuse gave %s, %s, %s; want 5, 7, 6", v3.Mid(), v4.Mid(), a2.Mid())
	}
	if err := v3.SetLimits(Limits{MaxFrameRate: 7.5}); err != nil {
		t.Fatal(err)
	}
	offer = negotiate(ctx, t, c, a)
	checkLimits(t, sectionByMid(t, offer.SDP, "5"), "", "a=x-preferences:0@7.5")
	if len(sectionLines(t, offer.SDP)) != 8 {
		t.Errorf("offer has %d sections, want 8", len(sectionLines(t, offer.SDP)))
	}
	// The reused audio slot gets a new track. Waiting for it also keeps
	// the test from closing while pion still starts that receiver (see
	// Conn.Close).
	for e := receive(ctx, t, "track on mid 6", ev.tracks); e.mid != "6"; {
		e = receive(ctx, t, "track on mid 6", ev.tracks)
	}

	if _, err := c.Subscribe("bad label", webrtc.RTPCodecTypeVideo, Limits{}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("label with space: %v", err)
	}
}

// checkLimits asserts b=TIAS (if wanted) sits before every a= line and
// a=x-preferences is the section's last line.
func checkLimits(t testing.TB, lines []string, tias, prefs string) {
	t.Helper()
	firstAttr := -1
	for i, l := range lines {
		if strings.HasPrefix(l, "a=") && firstAttr < 0 {
			firstAttr = i
		}
		if strings.HasPrefix(l, "b=") {
			if l != tias {
				t.Errorf("bandwidth line %q, want %q", l, tias)
			}
			if firstAttr >= 0 {
				t.Errorf("%s comes after a= lines", l)
			}
		}
	}
	if tias != "" && !slicesContains(lines, tias) {
		t.Errorf("missing %s", tias)
	}
	if last := lines[len(lines)-1]; last != prefs {
		t.Errorf("last line %q, want %q", last, prefs)
	}
}

func TestCloseDropsCallbacks(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	c, a, ev := connect(ctx, t, mustEngine(t), newAnswererAPI(t))

	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	_ = a.dc.SendText("late")
	a.close()

	if _, err := c.CreateOffer(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("CreateOffer after Close: %v", err)
	}
	if err := c.Send("x"); !errors.Is(err, ErrClosed) {
		t.Errorf("Send after Close: %v", err)
	}
	if _, err := c.Subscribe("conference", webrtc.RTPCodecTypeAudio, Limits{}); !errors.Is(err, ErrClosed) {
		t.Errorf("Subscribe after Close: %v", err)
	}
	if err := c.AddPublications(); !errors.Is(err, ErrClosed) {
		t.Errorf("AddPublications after Close: %v", err)
	}
	select {
	case m := <-ev.messages:
		t.Errorf("message after Close: %q", m)
	case err := <-ev.failed:
		t.Errorf("OnFailed after Close: %v", err)
	case <-ev.dcClosed:
		t.Error("OnDataChannelClose after Close")
	default:
	}
}

func TestRemoteCloseFails(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	_, a, ev := connect(ctx, t, mustEngine(t), newAnswererAPI(t))

	a.close()
	err := receive(ctx, t, "OnFailed", ev.failed)
	if !errors.Is(err, ErrDataChannelClosed) && !errors.Is(err, ErrConnectionFailed) {
		t.Errorf("OnFailed(%v)", err)
	}
	select {
	case err := <-ev.failed:
		t.Errorf("second OnFailed(%v)", err)
	default:
	}
}

// recordHandler keeps the records slog hands it.
type recordHandler struct {
	mu      sync.Mutex
	records []slog.Record
}

func (h *recordHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, r.Clone())

	return nil
}
func (h *recordHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &attrHandler{recordHandler: h, attrs: attrs}
}
func (h *recordHandler) WithGroup(string) slog.Handler { return h }

type attrHandler struct {
	*recordHandler
	attrs []slog.Attr
}

func (h *attrHandler) Handle(ctx context.Context, r slog.Record) error {
	r.AddAttrs(h.attrs...)

	return h.recordHandler.Handle(ctx, r)
}

func TestPionLogsReachSlog(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	h := &recordHandler{}
	cfg := testConfig()
	cfg.Logger = slog.New(h)
	engine, err := NewEngine(cfg)
	if err != nil {
		t.Fatal(err)
	}
	connect(ctx, t, engine, newAnswererAPI(t))

	h.mu.Lock()
	defer h.mu.Unlock()
	scopes := map[string]bool{}
	for _, r := range h.records {
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "scope" {
				scopes[a.Value.String()] = true
			}

			return true
		})
	}
	if !scopes["pion/pc"] && !scopes["pion/ice"] {
		t.Errorf("no pion scopes among %v (%d records)", scopes, len(h.records))
	}
}

func TestSetPublicationValidation(t *testing.T) {
	c, err := mustEngine(t).NewConn(Handlers{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	mic := newTestTrack(t, webrtc.RTPCodecTypeAudio, "")
	cam := newTestTrack(t, webrtc.RTPCodecTypeVideo, "")
	camL := newTestTrack(t, webrtc.RTPCodecTypeVideo, "l")
	camX := newTestTrack(t, webrtc.RTPCodecTypeVideo, "x")
	cases := map[string]struct {
		which Publication
		audio webrtc.TrackLocal
		video []webrtc.TrackLocal
		want  error
	}{
		"bad publication": {Publication(7), nil, nil, ErrInvalidArgument},
		"video as audio":  {Primary, cam, nil, ErrInvalidTrack},
		"audio as video":  {Primary, nil, []webrtc.TrackLocal{mic}, ErrInvalidTrack},
		"four layers":     {Primary, nil, []webrtc.TrackLocal{cam, cam, cam, cam}, ErrInvalidTrack},
		"nil layer":       {Primary, nil, []webrtc.TrackLocal{nil}, ErrInvalidTrack},
		"unknown rid":     {Primary, nil, []webrtc.TrackLocal{camX}, ErrInvalidTrack},
		"rid twice":       {Primary, nil, []webrtc.TrackLocal{camL, camL}, ErrInvalidTrack},
		"index meets rid": {Primary, nil, []webrtc.TrackLocal{cam, camL}, ErrInvalidTrack},
	}
	for name, tc := range cases {
		if err := c.SetPublication(tc.which, tc.audio, tc.video); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
	if err := c.SetPublication(Secondary, mic, []webrtc.TrackLocal{cam}); err != nil {
		t.Errorf("valid publication: %v", err)
	}
	if _, err := c.Subscribe("", webrtc.RTPCodecTypeAudio, Limits{}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("empty label: %v", err)
	}
	if _, err := c.Subscribe("conference", webrtc.RTPCodecTypeUnknown, Limits{}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("unknown kind: %v", err)
	}
	if err := c.ApplyAnswer("v=0"); !errors.Is(err, ErrNoOffer) {
		t.Errorf("answer without offer: %v", err)
	}
	if err := c.Send("x"); !errors.Is(err, ErrDataChannelNotOpen) {
		t.Errorf("Send before open: %v", err)
	}
}

// TestPublicationSetEarly sets the publication before the sections exist,
// as an owner does on a rebuilt connection, and retries an offer.
func TestPublicationSetEarly(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	c, a, _ := connect(ctx, t, mustEngine(t), newAnswererAPI(t))

	mic := newTestTrack(t, webrtc.RTPCodecTypeAudio, "")
	camL := newTestTrack(t, webrtc.RTPCodecTypeVideo, "l")
	camM := newTestTrack(t, webrtc.RTPCodecTypeVideo, "m")
	if err := c.SetPublication(Primary, mic, []webrtc.TrackLocal{camL, camM}); err != nil {
		t.Fatal(err)
	}
	if err := c.AddPublications(); err != nil {
		t.Fatal(err)
	}
	// A first offer that is never answered (a timed-out request) is
	// replaced by the next one.
	if _, err := c.CreateOffer(ctx); err != nil {
		t.Fatal(err)
	}
	offer := negotiate(ctx, t, c, a)
	checkDirection(t, sectionByMid(t, offer.SDP, "1"), dirSendonly)
	checkSimulcast(t, sectionByMid(t, offer.SDP, "2"), "l;m;~h")

	var wg sync.WaitGroup
	defer wg.Wait()
	pumpCtx, stopPump := context.WithCancel(ctx)
	defer stopPump()
	pump(pumpCtx, &wg, mic, camL, camM)
	waitFor(ctx, t, "media", func() bool { return a.packets("2", "m") > 3 && a.packets("1", "") > 3 })

	// The senders run through the connection's interceptors: the
	// statistics interceptor counts what they send.
	encodings := c.PublicationEncodings(Primary)
	if len(encodings) != 4 {
		t.Fatalf("encodings: %+v", encodings)
	}
	for _, e := range encodings {
		if e.SSRC == 0 || e.Active != (e.RID != "h") {
			t.Errorf("encoding %+v", e)
		}
		s, ok := c.RTPStats(e.SSRC)
		if e.Active && (!ok || s.OutboundRTPStreamStats.PacketsSent == 0) {
			t.Errorf("no outbound statistics for %s %q: %+v", e.Kind, e.RID, s.OutboundRTPStreamStats)
		}
	}
}

func TestDesiredCandidateTypes(t *testing.T) {
	got := desiredCandidateTypes([]webrtc.ICEServer{
		{URLs: []string{"stun:stun.example.org:3478"}},
		{URLs: []string{"TURNS:turn.example.org"}, Username: "u", Credential: "p"},
	})
	if len(got) != 2 || got[0] != webrtc.ICECandidateTypeSrflx || got[1] != webrtc.ICECandidateTypeRelay {
		t.Errorf("desired = %v", got)
	}
	g := newGatherer(got)
	g.add(&webrtc.ICECandidate{Typ: webrtc.ICECandidateTypeHost})
	g.add(&webrtc.ICECandidate{Typ: webrtc.ICECandidateTypeSrflx})
	select {
	case <-g.ready:
		t.Fatal("released before a relay candidate")
	default:
	}
	g.add(&webrtc.ICECandidate{Typ: webrtc.ICECandidateTypeRelay})
	<-g.ready
	g.add(nil) // end of gathering after release: no second close

	g = newGatherer(nil)
	g.add(&webrtc.ICECandidate{Typ: webrtc.ICECandidateTypeHost})
	<-g.ready
}

// TestPublishSampleTracks publishes pion sample tracks, the kind the media
// package hands out, as two simulcast layers.
func TestPublishSampleTracks(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	c, a, _ := connect(ctx, t, mustEngine(t), newAnswererAPI(t))
	if err := c.AddPublications(); err != nil {
		t.Fatal(err)
	}
	vp8 := webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}
	var layers []*webrtc.TrackLocalStaticSample
	for _, rid := range []string{"l", "m"} {
		track, err := webrtc.NewTrackLocalStaticSample(vp8, "video", "me#primary", webrtc.WithRTPStreamID(rid))
		if err != nil {
			t.Fatal(err)
		}
		layers = append(layers, track)
	}
	if err := c.SetPublication(Primary, nil, []webrtc.TrackLocal{layers[0], layers[1]}); err != nil {
		t.Fatal(err)
	}
	negotiate(ctx, t, c, a)

	var wg sync.WaitGroup
	defer wg.Wait()
	writeCtx, stop := context.WithCancel(ctx)
	defer stop()
	wg.Add(1)
	go func() {
		defer wg.Done()
		ticker := time.NewTicker(10 * time.Millisecond)
		defer ticker.Stop()
		frame := []byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x10, 0x00, 0x10, 0x00}
		for {
			select {
			case <-writeCtx.Done():
				return
			case <-ticker.C:
			}
			for _, l := range layers {
				_ = l.WriteSample(mediaSample(frame))
			}
		}
	}()
	waitFor(ctx, t, "both layers", func() bool { return a.packets("2", "l") > 3 && a.packets("2", "m") > 3 })
}

// TestConnectionFailure answers with a server that is gone before any
// connectivity check: the ICE agent gives up and the peer connection
// fails (protocol §5.3).
func TestConnectionFailure(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	cfg := testConfig()
	cfg.ConfigureSettingEngine = func(s *webrtc.SettingEngine) {
		loopbackOnly(s)
		s.SetICETimeouts(200*time.Millisecond, 400*time.Millisecond, 50*time.Millisecond)
	}
	engine, err := NewEngine(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ev := newEvents()
	c, err := engine.NewConn(ev.handlers())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	a := newAnswerer(t, newAnswererAPI(t))
	offer, err := c.CreateOffer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	answer, err := a.answer(ctx, offer.SDP)
	if err != nil {
		t.Fatal(err)
	}
	a.close()
	if err := c.ApplyAnswer(answer); err != nil {
		t.Fatal(err)
	}
	if err := receive(ctx, t, "OnFailed", ev.failed); !errors.Is(err, ErrConnectionFailed) {
		t.Errorf("OnFailed(%v), want ErrConnectionFailed", err)
	}
	select {
	case <-ev.open:
		t.Error("data channel opened")
	default:
	}
}

// attached reports whether the application track of a publication section
// (index 0–3) and RID is bound to pion.
func attached(c *Conn, section int, rid string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()

	for _, r := range c.pubSections[section].relays {
		if r.rid == rid {
			r.mu.Lock()
			defer r.mu.Unlock()

			return r.bound != nil
		}
	}

	return false
}
