package mindtest

import (
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/mindsdk/mindgo/transport"
)

// TestBadInputChangesNothing sends malformed and invalid requests and
// checks that each is refused with the right status and leaves the
// conference and every notification log untouched.
func TestBadInputChangesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := base(f.conf)
	app := f.srv.ApplicationToken()
	appURL := f.srv.URL() + "/" + f.srv.ApplicationID()
	dialWS(t, f.conf, f.mod.Token)
	dialWS(t, f.conf, app)
	before := f.conf.Snapshot()
	logBefore := f.conf.Notifications(f.mod.ID)
	appLogBefore := f.conf.Notifications("")
	pm := b + "/participants/" + f.att.ID

	cases := []struct {
		name   string
		method string
		url    string
		token  string
		body   any
		want   int
	}{
		{"malformed JSON", http.MethodPatch, b + "/", f.mod.Token, `{"name": "x"`, 400},
		{"trailing data", http.MethodPatch, b + "/", f.mod.Token, `{"name": "x"} {}`, 400},
		{"not an object", http.MethodPatch, b + "/", f.mod.Token, `["name"]`, 400},
		{"empty body", http.MethodPatch, b + "/", f.mod.Token, ``, 400},
		{"null body", http.MethodPatch, b + "/", f.mod.Token, `null`, 400},
		{"empty conference name", http.MethodPatch, b + "/", f.mod.Token, `{"name": ""}`, 400},
		{"blank conference name", http.MethodPatch, b + "/", app, `{"name": "  "}`, 400},
		{"name of the wrong type", http.MethodPatch, b + "/", f.mod.Token, `{"name": 5}`, 400},
		{"nothing to change", http.MethodPatch, pm, f.mod.Token, `{}`, 400},
		{"empty participant name", http.MethodPatch, pm, f.att.Token, `{"name": ""}`, 400},
		{"unknown role", http.MethodPatch, pm, f.mod.Token, `{"role": "admin"}`, 400},
		{"role in capitals", http.MethodPatch, pm, f.mod.Token, `{"role": "Moderator"}`, 400},
		{"unknown language", http.MethodPatch, pm, f.mod.Token, `{"language": "xx"}`, 400},
		{"priority as string", http.MethodPatch, pm, f.mod.Token, `{"priority": "3"}`, 400},
		{"priority out of range", http.MethodPatch, pm, f.mod.Token, `{"priority": 1e999}`, 400},
		{"one bad field spoils all", http.MethodPatch, pm, f.mod.Token, `{"name": "Ok", "role": "king"}`, 400},
		{"unknown participant", http.MethodPatch, b + "/participants/" + newUUID(), f.mod.Token, `{"name": "x"}`, 400},
		{"unknown participant, application", http.MethodGet, b + "/participants/" + newUUID(), app, nil, 400},
		{"expel unknown", http.MethodDelete, b + "/participants/nobody", app, nil, 400},
		{"message to nobody", http.MethodPost, b + "/messages", f.att.Token, `{"sendTo": "nobody", "text": "x"}`, 400},
		{"message without recipient", http.MethodPost, b + "/messages", f.att.Token, `{"text": "x"}`, 400},
		{"recording with bad body", http.MethodPost, b + "/recording/start", f.mod.Token, `{`, 400},
		{"empty sdp", http.MethodPost, b + "/", f.att.Token, `{"sdp": ""}`, 400},
		{"bad layout", http.MethodPost, appURL, app, `{"name": "x", "layout": "grid"}`, 400},
		{"bad participant role", http.MethodPost, b + "/participants", app, `{"name": "x", "role": "boss"}`, 400},
		{"bad participant language", http.MethodPost, b + "/participants", app, `{"name": "x", "language": "EN"}`, 400},
		{"missing token", http.MethodPatch, b + "/", "", `{"name": "x"}`, 401},
		{"bad token", http.MethodPatch, b + "/", "forged", `{"name": "x"}`, 401},
		{"bad token on A1", http.MethodPost, appURL, "forged", `{"name": "x"}`, 401},
		{"oversized body", http.MethodPatch, b + "/", f.mod.Token,
			`{"name": "` + strings.Repeat("a", maxBodyBytes) + `"}`, 413},
	}
	for _, tc := range cases {
		if got, body := call(t, tc.method, tc.url, tc.token, tc.body); got != tc.want {
			t.Errorf("%s: status %d, want %d (%s)", tc.name, got, tc.want, body)
		}
	}

	if after := f.conf.Snapshot(); !reflect.DeepEqual(before, after) {
		t.Fatalf("state changed:\nbefore %+v\n after %+v", before, after)
	}
	if got := f.conf.Notifications(f.mod.ID); !reflect.DeepEqual(got, logBefore) {
		t.Fatalf("moderator was notified: %v", got[len(logBefore):])
	}
	if got := f.conf.Notifications(""); !reflect.DeepEqual(got, appLogBefore) {
		t.Fatalf("application was notified: %v", got[len(appLogBefore):])
	}
	if n := len(f.conf.MessagesToApplication()); n != 0 {
		t.Fatalf("%d messages recorded", n)
	}
}

func TestWebSocketRefusals(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := testContext(t)

	for _, tc := range []struct {
		name  string
		token string
		want  int
	}{
		{"no token", "", http.StatusUnauthorized},
		{"forged token", "forged", http.StatusUnauthorized},
	} {
		_, err := tryDialWS(ctx, f.conf, tc.token)
		var se *statusError
		if !errors.As(err, &se) || se.status != tc.want {
			t.Errorf("%s: %v, want status %d", tc.name, err, tc.want)
		}
	}

	if err := f.conf.Expel(f.att.ID); err != nil {
		t.Fatal(err)
	}
	_, err := tryDialWS(ctx, f.conf, f.att.Token)
	var se *statusError
	if !errors.As(err, &se) || se.status != http.StatusNotFound {
		t.Fatalf("expelled: %v, want 404", err)
	}
	if f.conf.Online(f.att.ID) {
		t.Fatal("refused participant is online")
	}
}

func TestGoAPIErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.conf

	if _, err := f.srv.CreateConference("x", "grid"); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad layout: %v", err)
	}
	if _, err := c.CreateParticipant(transport.CreateParticipantRequest{Role: "boss"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad role: %v", err)
	}
	if err := c.Rename(""); !errors.Is(err, ErrInvalid) {
		t.Errorf("empty name: %v", err)
	}
	if _, err := c.UpdateParticipant(newUUID(), transport.ParticipantPatch{Name: new("x")}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown participant: %v", err)
	}
	if err := c.Expel(newUUID()); !errors.Is(err, ErrNotFound) {
		t.Errorf("expel unknown: %v", err)
	}
	if _, err := c.SendMessage(f.srv.ApplicationID(), "x"); !errors.Is(err, ErrInvalid) {
		t.Errorf("message to the application from itself: %v", err)
	}
	if err := c.SendRaw(f.att.ID, "x"); !errors.Is(err, ErrOffline) {
		t.Errorf("SendRaw offline: %v", err)
	}
	if err := c.WaitOnline(testContext(t), newUUID(), true); !errors.Is(err, ErrNotFound) {
		t.Errorf("WaitOnline unknown: %v", err)
	}

	if err := c.End(); err != nil {
		t.Fatal(err)
	}
	if err := c.End(); !errors.Is(err, ErrEnded) {
		t.Errorf("End twice: %v", err)
	}
	if err := c.SetRecording(true); !errors.Is(err, ErrEnded) {
		t.Errorf("after end: %v", err)
	}
	if err := c.WaitOnline(testContext(t), f.att.ID, true); !errors.Is(err, ErrEnded) {
		t.Errorf("WaitOnline after end: %v", err)
	}
	if got := c.Snapshot(); len(got.Participants) != 3 {
		t.Errorf("snapshot after end: %+v", got)
	}
}

// TestLimitsAndHandshake covers refusals that must leave no trace: overlong
// names and messages, empty names at creation, and a WebSocket handshake
// that is authenticated but malformed (it must not flip presence).
func TestLimitsAndHandshake(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.conf
	b := base(c)
	app := f.srv.ApplicationToken()
	dialWS(t, c, app)
	before := c.Snapshot()
	logBefore := len(c.Notifications(""))

	long := strings.Repeat("<", MaxNameLength+1)
	wantStatus(t, http.StatusBadRequest, http.MethodPatch, b+"/participants/"+f.att.ID, f.att.Token,
		map[string]string{"name": long})
	wantStatus(t, http.StatusBadRequest, http.MethodPatch, b+"/", f.mod.Token, map[string]string{"name": long})
	wantStatus(t, http.StatusBadRequest, http.MethodPost, b+"/participants", app, map[string]string{"name": ""})
	wantStatus(t, http.StatusBadRequest, http.MethodPost, b+"/participants", app, map[string]string{"name": long})
	wantStatus(t, http.StatusBadRequest, http.MethodPost, b+"/messages", f.att.Token,
		transport.MessageRequest{SendTo: c.ID(), Text: strings.Repeat("x", MaxMessageLength+1)})

	req, err := http.NewRequestWithContext(testContext(t), http.MethodGet, b+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+f.att.Token)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("handshake without a key: status %d, want 400", resp.StatusCode)
	}

	if after := c.Snapshot(); !reflect.DeepEqual(before, after) {
		t.Fatalf("state changed:\nbefore %+v\nafter  %+v", before, after)
	}
	if got := len(c.Notifications("")); got != logBefore {
		t.Fatalf("the application was notified %d times", got-logBefore)
	}

	// Angle brackets are not escaped into six bytes each.
	wantStatus(t, http.StatusOK, http.MethodPatch, b+"/participants/"+f.att.ID, f.att.Token,
		map[string]string{"name": "<b>"})
	l := c.Notifications("")
	if len(l) != logBefore+1 || !strings.Contains(l[len(l)-1], `"name":"<b>"`) {
		t.Fatalf("notifications %q", l[logBefore:])
	}
}
