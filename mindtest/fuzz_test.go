package mindtest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/mindsdk/mindgo/transport"
)

// FuzzServeHTTP feeds arbitrary methods, routes, tokens and bodies to the
// handler: nothing may panic or answer 500, and every error has a JSON
// error body.
func FuzzServeHTTP(f *testing.F) {
	s, err := NewServer(nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = s.Close() })
	c, err := s.CreateConference("Fuzz", "")
	if err != nil {
		f.Fatal(err)
	}
	mod, err := c.CreateParticipant(transport.CreateParticipantRequest{Name: "M", Role: transport.RoleModerator})
	if err != nil {
		f.Fatal(err)
	}
	att, err := c.CreateParticipant(transport.CreateParticipantRequest{Name: "A"})
	if err != nil {
		f.Fatal(err)
	}

	methods := []string{http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodDelete, http.MethodPut}
	root := "/" + s.ApplicationID() + "/" + c.ID()
	paths := []string{
		"/" + s.ApplicationID(), root, root + "/", root + "/participants", root + "/participants/" + att.ID,
		root + "/participants/" + mod.ID, root + "/messages", root + "/recording", root + "/recording/start",
		root + "/recording/stop", root + "/participants/x/y", "//", "/",
	}
	tokens := []string{"", s.ApplicationToken(), mod.Token, att.Token, "forged"}

	f.Add(uint8(2), uint8(4), uint8(2), []byte(`{"name":"x"}`))
	f.Add(uint8(2), uint8(5), uint8(3), []byte(`{"role":"moderator","priority":1e308}`))
	f.Add(uint8(1), uint8(6), uint8(3), []byte(`{"sendTo":"`+c.ID()+`","text":"\u0000"}`))
	f.Add(uint8(1), uint8(0), uint8(1), []byte(`{"name":"n","layout":"selector"}`))
	f.Add(uint8(1), uint8(3), uint8(1), []byte(`{"name":"p","language":"de","priority":-1}`))
	f.Add(uint8(1), uint8(2), uint8(2), []byte(`{"sdp":"v=0"}`))
	f.Add(uint8(2), uint8(2), uint8(2), []byte(`{"name":null}`))

	f.Fuzz(func(t *testing.T, m, p, tok uint8, body []byte) {
		req := httptest.NewRequest(methods[int(m)%len(methods)], paths[int(p)%len(paths)], bytes.NewReader(body))
		if tk := tokens[int(tok)%len(tokens)]; tk != "" {
			req.Header.Set("Authorization", "Bearer "+tk)
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)

		if rec.Code >= 500 && rec.Code != http.StatusNotImplemented {
			t.Fatalf("%s %s %q: status %d %s", req.Method, req.URL.Path, body, rec.Code, rec.Body)
		}
		if rec.Code >= 400 {
			var e transport.ErrorBody
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error == "" {
				t.Fatalf("error without a JSON body: %d %q", rec.Code, rec.Body)
			}
		}
	})
}
