package mindtest

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/coder/websocket"
	"github.com/mindsdk/mindgo/transport"
)

func TestSnapshotPutsCallerFirst(t *testing.T) {
	t.Parallel()
	f := newFixture(t)

	b := wantStatus(t, http.StatusOK, http.MethodGet, base(f.conf)+"/?detailed=true", f.att.Token, nil)
	got := decodeJSON[transport.Conference](t, b)
	if got.ID != f.conf.ID() || got.Name != "Planning" || got.Layout != transport.LayoutPresentingMosaic {
		t.Fatalf("conference fields: %+v", got)
	}
	var ids []string
	for _, p := range got.Participants {
		ids = append(ids, p.ID)
	}
	want := []string{f.att.ID, f.mod.ID, f.spk.ID}
	if len(ids) != 3 || ids[0] != want[0] || ids[1] != want[1] || ids[2] != want[2] {
		t.Fatalf("participants %v, want %v", ids, want)
	}
	if got.Participants[0].Language != transport.LanguageEnglish || got.Participants[0].Priority != 1 {
		t.Fatalf("defaults not applied: %+v", got.Participants[0])
	}

	// Without detailed=true, and without the trailing slash, the
	// participants may be left out; the conference is the same.
	b = wantStatus(t, http.StatusOK, http.MethodGet, base(f.conf), f.att.Token, nil)
	if got := decodeJSON[transport.Conference](t, b); got.ID != f.conf.ID() {
		t.Fatalf("summary: %+v", got)
	}
}

func TestPresenceFollowsWebSocket(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := testContext(t)

	mod := dialWS(t, f.conf, f.mod.Token)
	if !f.conf.Online(f.mod.ID) {
		t.Fatal("moderator not online after the handshake")
	}
	spk := dialWS(t, f.conf, f.spk.Token)

	n := mod.nextNotification(t)
	if n.Type != transport.Updated || n.Location != transport.ParticipantLocation(f.spk.ID) {
		t.Fatalf("moderator got %+v, want speaker online", n)
	}
	if p := decodeJSON[transport.Participant](t, n.Resource); !p.Online {
		t.Fatalf("speaker resource not online: %+v", p)
	}

	if err := spk.conn.Close(websocket.StatusNormalClosure, ""); err != nil {
		t.Fatalf("close: %v", err)
	}
	if err := f.conf.WaitOnline(ctx, f.spk.ID, false); err != nil {
		t.Fatalf("WaitOnline: %v", err)
	}
	n = mod.nextNotification(t)
	p := decodeJSON[transport.Participant](t, n.Resource)
	if n.Location != transport.ParticipantLocation(f.spk.ID) || p.Online {
		t.Fatalf("moderator got %+v, want speaker offline", n)
	}
	// The speaker never hears about itself.
	for _, m := range f.conf.Notifications(f.spk.ID) {
		t.Fatalf("speaker was sent %s", m)
	}
}

func TestEndClosesWith4000(t *testing.T) {
	t.Parallel()
	f := newFixture(t)

	mod := dialWS(t, f.conf, f.mod.Token)
	app := dialWS(t, f.conf, f.srv.ApplicationToken())
	wantStatus(t, http.StatusNoContent, http.MethodDelete, base(f.conf), f.srv.ApplicationToken(), nil)

	if code := mod.closed(t); code != transport.CloseConferenceEnded {
		t.Fatalf("participant close status %d, want 4000", code)
	}
	if code := app.closed(t); code != transport.CloseConferenceEnded {
		t.Fatalf("application close status %d, want 4000", code)
	}
	wantStatus(t, http.StatusNotFound, http.MethodGet, base(f.conf)+"/?detailed=true", f.mod.Token, nil)
	wantStatus(t, http.StatusNotFound, http.MethodGet, base(f.conf), f.srv.ApplicationToken(), nil)
	if _, err := tryDialWS(testContext(t), f.conf, f.mod.Token); err == nil {
		t.Fatal("WebSocket to an ended conference succeeded")
	}
}

func TestExpelClosesWith4001(t *testing.T) {
	t.Parallel()
	f := newFixture(t)

	att := dialWS(t, f.conf, f.att.Token)
	mod := dialWS(t, f.conf, f.mod.Token)
	if n := att.nextNotification(t); n.Location != transport.ParticipantLocation(f.mod.ID) {
		t.Fatalf("attendee got %+v, want moderator online", n)
	}
	wantStatus(t, http.StatusNoContent, http.MethodDelete,
		base(f.conf)+"/participants/"+f.att.ID, f.srv.ApplicationToken(), nil)

	if code := att.closed(t); code != transport.CloseExpelled {
		t.Fatalf("close status %d, want 4001", code)
	}
	if l := f.conf.Notifications(f.att.ID); len(l) != 2 || l[1] != "4001" {
		t.Fatalf("expelled participant's log %v", l)
	}
	n := mod.nextNotification(t)
	if n.Type != transport.Deleted || n.Location != transport.ParticipantLocation(f.att.ID) {
		t.Fatalf("moderator got %+v, want deleted attendee", n)
	}
	wantStatus(t, http.StatusNotFound, http.MethodGet, base(f.conf)+"/?detailed=true", f.att.Token, nil)
	wantStatus(t, http.StatusOK, http.MethodGet, base(f.conf)+"/?detailed=true", f.mod.Token, nil)
}

func TestDropTransportIsAFailure(t *testing.T) {
	t.Parallel()
	f := newFixture(t)

	att := dialWS(t, f.conf, f.att.Token)
	f.conf.DropTransport(f.att.ID)
	if code := att.closed(t); code != -1 {
		t.Fatalf("close status %d, want none", code)
	}
	if f.conf.Online(f.att.ID) {
		t.Fatal("still online after DropTransport")
	}
	// It can come back.
	dialWS(t, f.conf, f.att.Token)
	if err := f.conf.WaitOnline(testContext(t), f.att.ID, true); err != nil {
		t.Fatal(err)
	}
}

func TestWebSocketTokenInQuery(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := testContext(t)
	u, err := transport.ParseConferenceURI(f.conf.URI())
	if err != nil {
		t.Fatal(err)
	}

	conn, _, err := websocket.Dial(ctx, u.WebSocketURL()+"?access_token="+url.QueryEscape(f.att.Token), nil)
	if err != nil {
		t.Fatalf("dial with access_token: %v", err)
	}
	defer conn.CloseNow()
	if !f.conf.Online(f.att.ID) {
		t.Fatal("not online")
	}

	_, resp, err := websocket.Dial(ctx, u.WebSocketURL()+"?access_token=forged", nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("forged access_token: %v", err)
	}
}

func TestCreateConferenceOverHTTP(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, nil)
	appURL := s.URL() + "/" + s.ApplicationID()

	body := wantStatus(t, http.StatusCreated, http.MethodPost, appURL, s.ApplicationToken(),
		map[string]string{"name": "Synonym", "recordingLayout": "presenting_selector"})
	got := decodeJSON[transport.Conference](t, body)
	if got.Layout != transport.LayoutPresentingSelector || got.Name != "Synonym" || got.Participants != nil {
		t.Fatalf("created %+v", got)
	}
	if _, ok := s.Conference(got.ID); !ok {
		t.Fatal("not on the server")
	}

	wantStatus(t, http.StatusBadRequest, http.MethodPost, appURL+"/", s.ApplicationToken(), "{}")
	wantStatus(t, http.StatusBadRequest, http.MethodPost, appURL+"/", s.ApplicationToken(), `{"name":"  "}`)
	body = wantStatus(t, http.StatusCreated, http.MethodPost, appURL+"/", s.ApplicationToken(), `{"name":"Defaults"}`)
	if got := decodeJSON[transport.Conference](t, body); got.Layout != transport.LayoutMosaic {
		t.Fatalf("default layout %q", got.Layout)
	}
}
