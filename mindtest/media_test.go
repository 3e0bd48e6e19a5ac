package mindtest

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/mindsdk/mindgo/mindtest/internal/sfu"
	"github.com/mindsdk/mindgo/transport"
)

var fixtureOffers = []string{
	"01-first-offer.sdp",
	"02-publications-inactive.sdp",
	"03-primary-send-simulcast.sdp",
	"04-secondary-send.sdp",
	"05-receive-slots.sdp",
	"06-receive-slots-limits.sdp",
}

// TestChromiumOffersOverHTTP posts the six offers of a real browser in
// order as one participant and checks every answer against protocol
// §4.11, and the media flags the offers imply.
func TestChromiumOffersOverHTTP(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := testContext(t)
	watcher := dialWS(t, f.conf, f.att.Token)
	if err := f.conf.WaitOnline(ctx, f.att.ID, true); err != nil {
		t.Fatal(err)
	}

	for _, name := range fixtureOffers {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		offer := string(b)
		body := wantStatus(t, http.StatusOK, http.MethodPost, base(f.conf)+"/", f.spk.Token, transport.SDP{SDP: offer})
		answer := decodeJSON[transport.SDP](t, body).SDP
		checkAnswer(t, name, offer, answer)

		if name == "03-primary-send-simulcast.sdp" {
			p, _ := f.conf.Participant(f.spk.ID)
			if !p.Media.Audio || !p.Media.Video || p.SecondaryMedia.Audio || p.SecondaryMedia.Video {
				t.Fatalf("flags after %s: %+v %+v", name, p.Media, p.SecondaryMedia)
			}
			// The watcher got the change (created notifications of the
			// fixture come first).
			for {
				n := watcher.nextNotification(t)
				if n.Location != transport.ParticipantLocation(f.spk.ID) || n.Type != transport.Updated {
					continue
				}
				got := decodeJSON[transport.Participant](t, n.Resource)
				if !got.Media.Audio || !got.Media.Video {
					t.Fatalf("media notification %s", n.Resource)
				}
				break
			}
		}
	}
	log := f.conf.SDPLog(f.spk.ID)
	if len(log) != len(fixtureOffers) || log[0].Answer == "" || !strings.HasPrefix(log[0].Offer, "v=0") {
		t.Fatalf("SDP log has %d entries", len(log))
	}
	if p, _ := f.conf.Participant(f.spk.ID); !p.SecondaryMedia.Video || p.SecondaryMedia.Audio {
		t.Fatalf("final secondary flags %+v", p.SecondaryMedia)
	}

	// The fixture's data channel never opens; expelling the participant
	// ends its waiting notification channel.
	mr := f.srv.media.(*sfuMedia).lookup(f.conf)
	mr.mu.Lock()
	l := mr.pending[f.spk.ID]
	mr.mu.Unlock()
	if l == nil {
		t.Fatal("no pending channel")
	}
	if err := f.conf.Expel(f.spk.ID); err != nil {
		t.Fatal(err)
	}
	select {
	case <-l.done:
	case <-ctx.Done():
		t.Fatal("the pending channel's writer still runs")
	}
}

// checkAnswer verifies the rules of protocol §4.11 for one answer.
func checkAnswer(t *testing.T, name, offerText, answerText string) {
	t.Helper()
	o, err := sfu.ParseOffer(offerText)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var a sdp.SessionDescription
	if err := a.UnmarshalString(answerText); err != nil {
		t.Fatalf("%s: answer does not parse: %v", name, err)
	}
	if len(a.MediaDescriptions) != len(o.Sections) {
		t.Fatalf("%s: %d m-sections, want %d", name, len(a.MediaDescriptions), len(o.Sections))
	}
	mids := make([]string, len(o.Sections))
	for i, s := range o.Sections {
		mids[i] = s.Mid
	}
	if g, _ := a.Attribute("group"); g != "BUNDLE "+strings.Join(mids, " ") {
		t.Fatalf("%s: group %q", name, g)
	}
	candidates := 0
	for i, m := range a.MediaDescriptions {
		s := o.Sections[i]
		where := name + " mid " + s.Mid
		if mid, _ := m.Attribute("mid"); mid != s.Mid || m.MediaName.Media != s.Kind {
			t.Fatalf("%s: mid %q kind %q", where, mid, m.MediaName.Media)
		}
		if setup, _ := m.Attribute("setup"); setup != "active" && setup != "passive" {
			t.Fatalf("%s: setup %q", where, setup)
		}
		for _, at := range m.Attributes {
			if at.Key == "candidate" {
				candidates++
				if !strings.Contains(at.Value, "127.0.0.1") {
					t.Fatalf("%s: candidate %q is not loopback", where, at.Value)
				}
			}
		}
		if s.Kind == "application" {
			if _, ok := m.Attribute("sctp-port"); !ok {
				t.Fatalf("%s: no sctp-port", where)
			}
			continue
		}
		if _, ok := m.Attribute("rtcp-mux"); !ok {
			t.Fatalf("%s: no rtcp-mux", where)
		}
		want := "inactive"
		switch {
		case s.Position <= 4 && s.Direction == sfu.SendOnly:
			want = "recvonly"
		case s.Position >= 5 && s.Direction == sfu.RecvOnly:
			want = "sendonly"
		}
		if got := direction(m); got != want {
			t.Fatalf("%s: direction %s, want %s", where, got, want)
		}
		if want == "recvonly" && len(s.RIDs) > 0 {
			if rids := values(m, "rid"); !slices.Equal(rids, []string{"l recv", "m recv", "h recv"}) {
				t.Fatalf("%s: rids %q", where, rids)
			}
			if sim, _ := m.Attribute("simulcast"); sim != "recv l;m;h" {
				t.Fatalf("%s: simulcast %q", where, sim)
			}
		}
		if want == "sendonly" && (len(values(m, "msid")) == 0 || len(values(m, "ssrc")) == 0) {
			t.Fatalf("%s: receive slot without msid or ssrc", where)
		}
		if len(m.MediaName.Formats) == 0 {
			t.Fatalf("%s: no codec", where)
		}
	}
	if candidates == 0 {
		t.Fatalf("%s: no candidates", name)
	}
}

func direction(m *sdp.MediaDescription) string {
	for _, at := range m.Attributes {
		switch at.Key {
		case "sendrecv", "sendonly", "recvonly", "inactive":
			return at.Key
		}
	}

	return "sendrecv"
}

func values(m *sdp.MediaDescription, key string) []string {
	var out []string
	for _, at := range m.Attributes {
		if at.Key == key {
			out = append(out, at.Value)
		}
	}

	return out
}

// TestDataChannelPresenceAndNotifications joins over HTTP with a pion
// client: the data channel brings the participant online, notifications
// arrive on it in order, and distortion reports are recorded.
func TestDataChannelPresenceAndNotifications(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := testContext(t)
	other := dialWS(t, f.conf, f.mod.Token)

	cl := newRTCClient(t, f.conf, f.att.Token)
	t0 := time.Now()
	cl.connect(ctx)
	if err := f.conf.WaitOnline(ctx, f.att.ID, true); err != nil {
		t.Fatal(err)
	}
	t.Logf("join through HTTP: %v", time.Since(t0))

	// The others hear of it.
	for {
		n := other.nextNotification(t)
		if n.Location == transport.ParticipantLocation(f.att.ID) {
			if p := decodeJSON[transport.Participant](t, n.Resource); !p.Online {
				t.Fatalf("presence notification %s", n.Resource)
			}
			break
		}
	}

	// Changes arrive in commit order.
	names := []string{"one", "two", "three", "four"}
	for _, n := range names {
		if err := f.conf.Rename(n); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range names {
		n := cl.nextNotification(ctx)
		if n.Location != transport.LocationConference {
			t.Fatalf("unexpected %s %s", n.Type, n.Location)
		}
		if got := decodeJSON[transport.Conference](t, n.Resource); got.Name != want {
			t.Fatalf("name %q, want %q", got.Name, want)
		}
	}
	if _, err := f.conf.SendMessage(f.att.ID, "hello"); err != nil {
		t.Fatal(err)
	}
	if n := cl.nextNotification(ctx); n.Type != transport.Created || !strings.HasPrefix(n.Location, "/messages/") {
		t.Fatalf("message notification %s %s", n.Type, n.Location)
	}

	// Distortion reports are recorded; anything else is ignored.
	report := "1:conference#video:1718000000123:4"
	if err := cl.dc.SendText("nonsense"); err != nil {
		t.Fatal(err)
	}
	if err := cl.dc.SendText(report); err != nil {
		t.Fatal(err)
	}
	waitFor(ctx, t, "the distortion report", func() bool {
		return slices.Equal(f.conf.DistortionReports(f.att.ID), []string{report})
	})

	// A WebSocket as well: online while either is open.
	ws, err := tryDialWS(ctx, f.conf, f.att.Token)
	if err != nil {
		t.Fatal(err)
	}
	ws.shutdown()
	waitFor(ctx, t, "the WebSocket to go", func() bool {
		f.conf.mu.Lock()
		defer f.conf.mu.Unlock()
		return len(f.conf.byID[f.att.ID].receivers) == 1
	})
	if !f.conf.Online(f.att.ID) {
		t.Fatal("offline while the data channel is open")
	}
}

// TestDataChannelExpel: 4001 on the data channel, then the connection
// closes; a later offer gets 404.
func TestDataChannelExpel(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := testContext(t)
	cl := newRTCClient(t, f.conf, f.att.Token)
	cl.connect(ctx)
	if err := f.conf.WaitOnline(ctx, f.att.ID, true); err != nil {
		t.Fatal(err)
	}

	if err := f.conf.Expel(f.att.ID); err != nil {
		t.Fatal(err)
	}
	if m := cl.next(ctx); m != "4001" {
		t.Fatalf("got %q, want 4001", m)
	}
	cl.waitClosed(ctx)
	if status, _ := cl.post(cl.pc.LocalDescription().SDP); status != http.StatusNotFound {
		t.Fatalf("offer after expel: %d", status)
	}
}

// TestDataChannelEnd: 4000 to everyone, connections close, offers 404.
func TestDataChannelEnd(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := testContext(t)
	a := newRTCClient(t, f.conf, f.att.Token)
	b := newRTCClient(t, f.conf, f.spk.Token)
	a.connect(ctx)
	b.connect(ctx)
	if err := f.conf.WaitOnline(ctx, f.spk.ID, true); err != nil {
		t.Fatal(err)
	}

	if err := f.conf.End(); err != nil {
		t.Fatal(err)
	}
	for _, cl := range []*rtcClient{a, b} {
		for {
			m := cl.next(ctx)
			if m == "4000" {
				break
			}
			if _, err := transport.DecodeNotification([]byte(m)); err != nil {
				t.Fatalf("got %q before 4000", m)
			}
		}
		cl.waitClosed(ctx)
	}
	if status, _ := a.post(a.pc.LocalDescription().SDP); status != http.StatusNotFound {
		t.Fatalf("offer after end: %d", status)
	}
}

// TestDataChannelDropTransport: the connection goes without a close code
// and the participant is offline.
func TestDataChannelDropTransport(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := testContext(t)
	other := dialWS(t, f.conf, f.mod.Token)
	cl := newRTCClient(t, f.conf, f.att.Token)
	cl.connect(ctx)
	if err := f.conf.WaitOnline(ctx, f.att.ID, true); err != nil {
		t.Fatal(err)
	}

	f.conf.DropTransport(f.att.ID)
	cl.waitClosed(ctx)
	select {
	case m := <-cl.msgs:
		if m == "4000" || m == "4001" {
			t.Fatalf("close code %s on a dropped transport", m)
		}
	default:
	}
	if f.conf.Online(f.att.ID) {
		t.Fatal("still online")
	}
	// The others see it go offline.
	for {
		n := other.nextNotification(t)
		if n.Location != transport.ParticipantLocation(f.att.ID) {
			continue
		}
		if p := decodeJSON[transport.Participant](t, n.Resource); !p.Online {
			break
		}
	}
}

// TestDataChannelClientLeaves: the client closing its connection takes
// the participant offline.
func TestDataChannelClientLeaves(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := testContext(t)
	cl := newRTCClient(t, f.conf, f.att.Token)
	cl.connect(ctx)
	if err := f.conf.WaitOnline(ctx, f.att.ID, true); err != nil {
		t.Fatal(err)
	}
	cl.close()
	if err := f.conf.WaitOnline(ctx, f.att.ID, false); err != nil {
		t.Fatal(err)
	}
}

// TestOfferErrors: garbage is 400, a bad token 401, a media-less server
// 501.
func TestOfferErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	u := base(f.conf) + "/"
	wantStatus(t, http.StatusBadRequest, http.MethodPost, u, f.att.Token, transport.SDP{SDP: "garbage"})
	wantStatus(t, http.StatusBadRequest, http.MethodPost, u, f.att.Token, `{"sdp": 5}`)
	wantStatus(t, http.StatusUnauthorized, http.MethodPost, u, "forged", transport.SDP{SDP: "v=0"})
	// An offer whose layout breaks the protocol cannot be applied.
	b, err := os.ReadFile(filepath.Join("testdata", "02-publications-inactive.sdp"))
	if err != nil {
		t.Fatal(err)
	}
	swapped := strings.Replace(string(b), "m=audio", "m=video", 1)
	wantStatus(t, http.StatusConflict, http.MethodPost, u, f.att.Token, transport.SDP{SDP: swapped})

	s := newTestServer(t, &Options{SignallingOnly: true})
	c, err := s.CreateConference("", "")
	if err != nil {
		t.Fatal(err)
	}
	p := mustParticipant(t, c, "P", transport.RoleAttendee)
	wantStatus(t, http.StatusNotImplemented, http.MethodPost, c.URI()+"/", p.Token, transport.SDP{SDP: string(b)})
}

// TestForwardingBetweenClients: A publishes primary audio and video, B
// subscribes A#primary and the conference stream and receives RTP.
func TestForwardingBetweenClients(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := testContext(t)
	a := newRTCClient(t, f.conf, f.spk.Token)
	b := newRTCClient(t, f.conf, f.att.Token)
	a.connect(ctx)
	b.connect(ctx)

	a.addPublications(true)
	a.negotiate(ctx)
	if p, _ := f.conf.Participant(f.spk.ID); !p.Media.Audio || !p.Media.Video {
		t.Fatalf("publisher flags %+v", p.Media)
	}
	pubCtx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.publish(pubCtx)
	}()
	defer func() { stop(); <-done }()

	label := f.spk.ID + "#primary"
	b.addPublications(false)
	b.subscribe(webrtc.RTPCodecTypeAudio, label)
	b.subscribe(webrtc.RTPCodecTypeVideo, label)
	b.subscribe(webrtc.RTPCodecTypeVideo, "conference")
	b.negotiate(ctx)

	waitFor(ctx, t, "forwarded RTP", func() bool {
		return b.packets(label, webrtc.RTPCodecTypeAudio) > 5 &&
			b.packets(label, webrtc.RTPCodecTypeVideo) > 5 &&
			b.packets("conference", webrtc.RTPCodecTypeVideo) > 5
	})
}

// TestConferenceSelector checks the choice of the conference stream.
func TestConferenceSelector(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ids := []string{f.mod.ID, f.spk.ID, f.att.ID}
	f.conf.mu.Lock()
	for _, p := range f.conf.order {
		p.dto.Online = true
	}
	// The speaker came online before the moderator.
	f.conf.byID[f.spk.ID].joined = 1
	f.conf.byID[f.mod.ID].joined = 2
	f.conf.byID[f.att.ID].joined = 3
	f.conf.mu.Unlock()

	// Equal priorities: the first to come online wins; attendees never
	// do; nobody hears themselves.
	if got := f.conf.selectConference(f.att.ID, sfu.Video, ids); got != f.spk.ID {
		t.Fatalf("video: %s", got)
	}
	if got := f.conf.selectConference(f.spk.ID, sfu.Audio, ids); got != f.mod.ID {
		t.Fatalf("own audio: %s", got)
	}
	if got := f.conf.selectConference(f.mod.ID, sfu.Audio, []string{f.att.ID, f.mod.ID}); got != "" {
		t.Fatalf("attendee chosen: %s", got)
	}
	prio := 5.0
	if _, err := f.conf.UpdateParticipant(f.mod.ID, transport.ParticipantPatch{Priority: &prio}); err != nil {
		t.Fatal(err)
	}
	if got := f.conf.selectConference(f.att.ID, sfu.Video, ids); got != f.mod.ID {
		t.Fatalf("after priority: %s", got)
	}
	f.conf.mu.Lock()
	f.conf.byID[f.mod.ID].dto.Online = false
	f.conf.mu.Unlock()
	if got := f.conf.selectConference(f.att.ID, sfu.Video, ids); got != f.spk.ID {
		t.Fatalf("offline chosen: %s", got)
	}
}

// TestCloseWithLivePeers: Server.Close with open connections leaves
// nothing running (goleak checks at the end of the package).
func TestCloseWithLivePeers(t *testing.T) {
	t.Parallel()
	s, err := NewServer(&Options{ExpelGrace: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.CreateConference("", "")
	if err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t)
	var clients []*rtcClient
	for i := range 3 {
		p := mustParticipant(t, c, "P"+string(rune('0'+i)), transport.RoleSpeaker)
		cl := newRTCClient(t, c, p.Token)
		cl.connect(ctx)
		clients = append(clients, cl)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, cl := range clients {
		cl.waitClosed(ctx)
	}
}

// waitFor polls cond until it holds or ctx ends.
func waitFor(ctx context.Context, t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-tick.C:
		}
	}
}

// BenchmarkJoinOverHTTP measures a pion client joining through HTTP on
// loopback: first offer posted, answer applied, data channel open and the
// participant online on the server.
func BenchmarkJoinOverHTTP(b *testing.B) {
	s, err := NewServer(nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	c, err := s.CreateConference("Bench", "")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	for b.Loop() {
		b.StopTimer()
		p, err := c.CreateParticipant(transport.CreateParticipantRequest{Name: "B"})
		if err != nil {
			b.Fatal(err)
		}
		cl := newRTCClient(b, c, p.Token)
		b.StartTimer()
		cl.connect(ctx)
		if err := c.WaitOnline(ctx, p.ID, true); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		cl.close()
		if err := c.WaitOnline(ctx, p.ID, false); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// TestDataChannelReconnect: a second client connection of the same
// participant replaces the first without the others seeing it go offline,
// and notifications follow the new data channel.
func TestDataChannelReconnect(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := testContext(t)
	other := dialWS(t, f.conf, f.mod.Token)
	first := newRTCClient(t, f.conf, f.att.Token)
	first.connect(ctx)
	if err := f.conf.WaitOnline(ctx, f.att.ID, true); err != nil {
		t.Fatal(err)
	}

	second := newRTCClient(t, f.conf, f.att.Token)
	second.connect(ctx)
	first.waitClosed(ctx)
	if err := f.conf.Rename("after"); err != nil {
		t.Fatal(err)
	}
	if n := second.nextNotification(ctx); n.Location != transport.LocationConference {
		t.Fatalf("unexpected %s %s", n.Type, n.Location)
	}
	// The watcher saw the participant come online once and never leave.
	for {
		n := other.nextNotification(t)
		if n.Location == transport.LocationConference {
			break
		}
		if n.Location == transport.ParticipantLocation(f.att.ID) {
			if p := decodeJSON[transport.Participant](t, n.Resource); !p.Online {
				t.Fatal("went offline while reconnecting")
			}
		}
	}
	if !f.conf.Online(f.att.ID) {
		t.Fatal("offline after the reconnect")
	}
}

// TestExpelWithWebSocketAndDataChannel: both channels get 4001.
func TestExpelWithWebSocketAndDataChannel(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := testContext(t)
	ws := dialWS(t, f.conf, f.att.Token)
	cl := newRTCClient(t, f.conf, f.att.Token)
	cl.connect(ctx)
	waitFor(ctx, t, "two channels", func() bool {
		f.conf.mu.Lock()
		defer f.conf.mu.Unlock()
		return len(f.conf.byID[f.att.ID].receivers) == 2
	})

	if err := f.conf.Expel(f.att.ID); err != nil {
		t.Fatal(err)
	}
	if m := cl.next(ctx); m != "4001" {
		t.Fatalf("data channel got %q", m)
	}
	if code := ws.closed(t); code != 4001 {
		t.Fatalf("websocket closed with %d", code)
	}
	cl.waitClosed(ctx)
}

// TestConferenceStreamFollowsPriority: the conference video of a receiver
// is the moderator's first (created first), then the speaker's once its
// priority is raised.
func TestConferenceStreamFollowsPriority(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := testContext(t)
	mod := newRTCClient(t, f.conf, f.mod.Token)
	mod.width = 640
	spk := newRTCClient(t, f.conf, f.spk.Token)
	spk.width = 320
	att := newRTCClient(t, f.conf, f.att.Token)

	pubCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{}, 2)
	defer func() {
		stop()
		<-done
		<-done
	}()
	for _, cl := range []*rtcClient{mod, spk} {
		cl.connect(ctx)
		cl.addPublications(true)
		cl.negotiate(ctx)
		go func() {
			defer func() { done <- struct{}{} }()
			cl.publish(pubCtx)
		}()
	}
	att.connect(ctx)
	att.addPublications(false)
	att.subscribe(webrtc.RTPCodecTypeVideo, "conference")
	att.negotiate(ctx)

	waitFor(ctx, t, "the moderator's video", func() bool { return att.lastWidth("conference") == 640 })
	prio := 2.0
	if _, err := f.conf.UpdateParticipant(f.spk.ID, transport.ParticipantPatch{Priority: &prio}); err != nil {
		t.Fatal(err)
	}
	waitFor(ctx, t, "the speaker's video", func() bool { return att.lastWidth("conference") == 320 })
}

// TestCloseDataChannelFault: only the channel closes, without a code; the
// participant goes offline and can reconnect.
func TestCloseDataChannelFault(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := testContext(t)
	if err := f.conf.CloseDataChannel(f.att.ID); !errors.Is(err, ErrOffline) {
		t.Fatalf("without a connection: %v", err)
	}
	cl := newRTCClient(t, f.conf, f.att.Token)
	cl.connect(ctx)
	if err := f.conf.WaitOnline(ctx, f.att.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := f.conf.CloseDataChannel(f.att.ID); err != nil {
		t.Fatal(err)
	}
	select {
	case <-cl.dcDone:
	case <-ctx.Done():
		t.Fatal("the data channel did not close")
	}
	if err := f.conf.WaitOnline(ctx, f.att.ID, false); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-cl.msgs:
		t.Fatalf("got %q", m)
	default:
	}

	again := newRTCClient(t, f.conf, f.att.Token)
	again.connect(ctx)
	if err := f.conf.WaitOnline(ctx, f.att.ID, true); err != nil {
		t.Fatal(err)
	}
}

// TestMediaFlagsClearedWithTheConnection: a participant kept online by a
// WebSocket stops publishing when its data channel closes, and the others
// are told.
func TestMediaFlagsClearedWithTheConnection(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := testContext(t)
	other := dialWS(t, f.conf, f.mod.Token)
	dialWS(t, f.conf, f.spk.Token)
	cl := newRTCClient(t, f.conf, f.spk.Token)
	cl.connect(ctx)
	cl.addPublications(true)
	cl.negotiate(ctx)
	if p, _ := f.conf.Participant(f.spk.ID); !p.Media.Audio || !p.Media.Video {
		t.Fatalf("flags %+v", p.Media)
	}

	if err := f.conf.CloseDataChannel(f.spk.ID); err != nil {
		t.Fatal(err)
	}
	for {
		n := other.nextNotification(t)
		if n.Location != transport.ParticipantLocation(f.spk.ID) {
			continue
		}
		p := decodeJSON[transport.Participant](t, n.Resource)
		if !p.Online {
			t.Fatal("offline while its WebSocket is open")
		}
		if !p.Media.Audio && !p.Media.Video {
			break
		}
	}
}
