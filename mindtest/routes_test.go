package mindtest

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/mindsdk/mindgo/transport"
)

// TestRoutesAndRoles calls every route with a caller that may and one that
// may not (protocol §8.3, §13).
func TestRoutesAndRoles(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := base(f.conf)
	app := f.srv.ApplicationToken()
	appURL := f.srv.URL() + "/" + f.srv.ApplicationID()
	victim := mustParticipant(t, f.conf, "Vic", transport.RoleAttendee)
	mod, spk, att := f.mod.Token, f.spk.Token, f.att.Token
	pp := b + "/participants/"
	name := func(n string) map[string]string { return map[string]string{"name": n} }
	toConf := transport.MessageRequest{SendTo: f.conf.ID(), Text: "x"}
	query := func(tok string) string { return b + "/recording?access_token=" + url.QueryEscape(tok) }
	otherConf := f.srv.URL() + "/" + f.srv.ApplicationID() + "/" + newUUID()

	cases := []struct {
		name   string
		method string
		url    string
		token  string
		body   any
		want   int
	}{
		{"R1 attendee", http.MethodGet, b + "/?detailed=true", att, nil, 200},
		{"R1 no token", http.MethodGet, b + "/?detailed=true", "", nil, 401},
		{"R1 unknown token", http.MethodGet, b + "/?detailed=true", "nope", nil, 401},
		{"R2 malformed offer", http.MethodPost, b + "/", att, transport.SDP{SDP: "v=0"}, 400},
		{"R2 application", http.MethodPost, b + "/", app, transport.SDP{SDP: "v=0"}, 403},
		{"R3 moderator", http.MethodPatch, b + "/", mod, name("A"), 200},
		{"R3 presenter-less speaker", http.MethodPatch, b + "/", spk, name("B"), 403},
		{"R4 moderator", http.MethodPost, b + "/recording/start", mod, "{}", 200},
		{"R4 attendee", http.MethodPost, b + "/recording/start", att, "{}", 403},
		{"R5 moderator", http.MethodPost, b + "/recording/stop", mod, "{}", 200},
		{"R5 speaker", http.MethodPost, b + "/recording/stop", spk, "{}", 403},
		{"R6 own name", http.MethodPatch, pp + f.att.ID, att, name("Ann2"), 200},
		{"R6 other's name", http.MethodPatch, pp + f.spk.ID, att, name("X"), 403},
		{"R6 own role", http.MethodPatch, pp + f.spk.ID, spk, map[string]string{"role": "moderator"}, 403},
		{"R6 own priority", http.MethodPatch, pp + f.att.ID, att, map[string]float64{"priority": 5}, 403},
		{"R6 moderator on other", http.MethodPatch, pp + f.spk.ID, mod, map[string]string{"language": "de"}, 200},
		{"R6 moderator on self", http.MethodPatch, pp + f.mod.ID, mod, map[string]float64{"priority": 3}, 200},
		{"R7 attendee", http.MethodPost, b + "/messages", att, toConf, 200},
		{"R8 moderator by query", http.MethodGet, query(mod), "", nil, 200},
		{"R8 moderator by header", http.MethodGet, b + "/recording", mod, nil, 200},
		{"R8 attendee", http.MethodGet, query(att), "", nil, 403},
		{"R8 application", http.MethodGet, b + "/recording", app, nil, 200},
		{"A1 application", http.MethodPost, appURL, app, map[string]string{"name": "New", "layout": "selector"}, 201},
		{"A1 participant", http.MethodPost, appURL, mod, name("New"), 401},
		{"A2 application", http.MethodGet, b, app, nil, 200},
		{"A3 application", http.MethodPatch, b, app, name("C"), 200},
		{"A4 participant", http.MethodDelete, b, mod, nil, 403},
		{"A5 application", http.MethodPost, b + "/participants", app, map[string]string{"name": "P", "role": "speaker"}, 201},
		{"A5 moderator", http.MethodPost, b + "/participants", mod, name("P"), 403},
		{"A6 read application", http.MethodGet, pp + f.att.ID, app, nil, 200},
		{"A6 read moderator", http.MethodGet, pp + f.att.ID, mod, nil, 403},
		{"A6 change application", http.MethodPatch, pp + f.att.ID, app, map[string]string{"role": "speaker"}, 200},
		{"A7 moderator", http.MethodDelete, pp + victim.ID, mod, nil, 403},
		{"A7 application", http.MethodDelete, pp + victim.ID, app, nil, 204},
		{"A8 application", http.MethodPost, b + "/messages", app, toConf, 201},
		{"A8 application to itself", http.MethodPost, b + "/messages", app,
			transport.MessageRequest{SendTo: f.srv.ApplicationID(), Text: "x"}, 400},
		{"A9 application", http.MethodPost, b + "/recording/start", app, "{}", 204},
		{"A9 application, empty body", http.MethodPost, b + "/recording/stop", app, nil, 204},
		{"wrong method", http.MethodPut, b + "/", mod, nil, 405},
		{"unknown route", http.MethodGet, b + "/nothing", mod, nil, 400},
		{"expelled caller", http.MethodGet, b + "/?detailed=true", victim.Token, nil, 404},
		{"token of another conference", http.MethodGet, otherConf + "/", mod, nil, 401},
		{"unknown conference", http.MethodGet, otherConf, app, nil, 404},
		{"application token, other app", http.MethodGet, f.srv.URL() + "/" + newUUID() + "/" + f.conf.ID(), app, nil, 401},
	}
	for _, tc := range cases {
		got, body := call(t, tc.method, tc.url, tc.token, tc.body)
		if got != tc.want {
			t.Errorf("%s: status %d, want %d (%s)", tc.name, got, tc.want, body)
		}
		if got >= 400 {
			if e := decodeJSON[transport.ErrorBody](t, body); e.Error == "" {
				t.Errorf("%s: error body without reason: %s", tc.name, body)
			}
		}
	}
}

func TestPatchResponsesAreComplete(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := base(f.conf)

	body := wantStatus(t, http.StatusOK, http.MethodPatch, b+"/participants/"+f.spk.ID, f.mod.Token,
		map[string]any{"name": "Samuel", "priority": 2.5, "language": "fr", "role": "presenter"})
	got := decodeJSON[transport.Participant](t, body)
	want := transport.Participant{
		ID: f.spk.ID, Name: "Samuel", Priority: 2.5, Language: transport.LanguageFrench,
		Role: transport.RolePresenter,
	}
	if got != want {
		t.Fatalf("response %+v, want %+v", got, want)
	}
	if p, _ := f.conf.Participant(f.spk.ID); p != want {
		t.Fatalf("state %+v, want %+v", p, want)
	}

	body = wantStatus(t, http.StatusOK, http.MethodPatch, b+"/", f.mod.Token, map[string]string{"name": "Q3"})
	if c := decodeJSON[transport.Conference](t, body); c.Name != "Q3" || c.ID != f.conf.ID() {
		t.Fatalf("rename response %+v", c)
	}

	rec := wantStatus(t, http.StatusOK, http.MethodGet, b+"/recording", f.mod.Token, nil)
	if len(rec) == 0 {
		t.Fatal("empty recording")
	}

	// A2 lists every participant in creation order.
	body = wantStatus(t, http.StatusOK, http.MethodGet, b, f.srv.ApplicationToken(), nil)
	c := decodeJSON[transport.Conference](t, body)
	if len(c.Participants) != 3 || c.Participants[0].ID != f.mod.ID || c.Participants[2].ID != f.att.ID {
		t.Fatalf("A2 participants %+v", c.Participants)
	}
}
