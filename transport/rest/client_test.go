package rest_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mindsdk/mindgo/transport"
	"github.com/mindsdk/mindgo/transport/rest"
)

const (
	app   = "0c7a8f2e-1b3d-4e5f-9a6b-7c8d9e0f1a2b"
	conf  = "5f4e3d2c-1b0a-4987-8654-3210fedcba98"
	pid   = "a1b2c3d4-0000-4000-8000-000000000002"
	token = "s3cr3t-t0ken/with+chars"
)

// newClient starts a server running h for every request under the
// conference and returns a client for it.
func newClient(t *testing.T, h http.HandlerFunc) *rest.Client {
	t.Helper()

	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	uri, err := transport.ParseConferenceURI(srv.URL + "/" + app + "/" + conf)
	require.NoError(t, err)

	return &rest.Client{URI: uri, Token: token, SDK: "Mind Go SDK test", HTTP: srv.Client()}
}

func TestRequestsCarryHeadersPathsAndBodies(t *testing.T) {
	t.Parallel()

	type seen struct {
		method, path, query, body string
		header                    http.Header
	}
	var got []seen
	c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = append(got, seen{r.Method, r.URL.Path, r.URL.RawQuery, string(b), r.Header.Clone()})
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/"+app+"/"+conf+"/":
			_, _ = io.WriteString(w, `{"id":"`+conf+`","name":"N","participants":[{"id":"`+pid+`","online":true}],"x":1}`)
		case r.Method == http.MethodPatch && strings.HasPrefix(r.URL.Path, "/"+app+"/"+conf+"/participants/"):
			_, _ = io.WriteString(w, `{"id":"`+pid+`","name":"Bobby","priority":1.5}`)
		case r.Method == http.MethodPatch:
			_, _ = io.WriteString(w, `{"id":"`+conf+`","name":"Renamed"}`)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()

	cf, err := c.Conference(ctx)
	require.NoError(t, err)
	assert.Equal(t, "N", cf.Name)
	require.Len(t, cf.Participants, 1)

	cf, err = c.RenameConference(ctx, "Renamed")
	require.NoError(t, err)
	assert.Equal(t, "Renamed", cf.Name)

	require.NoError(t, c.StartRecording(ctx))
	require.NoError(t, c.StopRecording(ctx))

	name := "Bobby"
	p, err := c.UpdateParticipant(ctx, pid, transport.ParticipantPatch{Name: &name})
	require.NoError(t, err)
	assert.Equal(t, 1.5, p.Priority)

	require.NoError(t, c.SendMessage(ctx, transport.MessageRequest{SendTo: app, Text: "hi"}))

	want := []struct{ method, path, query, body string }{
		{"GET", "/", "detailed=true", ""},
		{"PATCH", "/", "", `{"name":"Renamed"}`},
		{"POST", "/recording/start", "", `{}`},
		{"POST", "/recording/stop", "", `{}`},
		{"PATCH", "/participants/" + pid, "", `{"name":"Bobby"}`},
		{"POST", "/messages", "", `{"sendTo":"` + app + `","text":"hi","persistent":false}`},
	}
	require.Len(t, got, len(want))
	for i, w := range want {
		assert.Equal(t, w.method, got[i].method)
		assert.Equal(t, "/"+app+"/"+conf+w.path, got[i].path)
		assert.Equal(t, w.query, got[i].query)
		assert.Equal(t, w.body, got[i].body)
		h := got[i].header
		assert.Equal(t, "Bearer "+token, h.Get("Authorization"))
		assert.Equal(t, "application/json; charset=UTF-8", h.Get("Content-Type"))
		assert.Equal(t, "application/json", h.Get("Accept"))
		assert.Equal(t, "Mind Go SDK test", h.Get("Mind-SDK"))
	}
}

func TestStatusesMapToTypedErrors(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		code int
		want error
	}{
		{http.StatusUnauthorized, rest.ErrUnauthorized},
		{http.StatusForbidden, rest.ErrForbidden},
		{http.StatusNotFound, rest.ErrNotFound},
		{http.StatusConflict, nil},
	} {
		t.Run(http.StatusText(tc.code), func(t *testing.T) {
			t.Parallel()

			c := newClient(t, func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(tc.code)
				_ = json.NewEncoder(w).Encode(transport.ErrorBody{Error: "no"})
			})
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()

			name := "x"
			_, err := c.UpdateParticipant(ctx, pid, transport.ParticipantPatch{Name: &name})
			var se *rest.StatusError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tc.code, se.Code)
			assert.Equal(t, http.MethodPatch, se.Method)
			assert.Equal(t, "/participants/"+pid, se.Path)
			if tc.want != nil {
				assert.ErrorIs(t, err, tc.want)
			}
			assert.NotContains(t, err.Error(), token)
		})
	}
}

func TestBadBodyIsAnErrorNotAHang(t *testing.T) {
	t.Parallel()

	c := newClient(t, func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `{"id": 12`)
	})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()

	_, err := c.Conference(ctx)
	assert.ErrorIs(t, err, transport.ErrMalformedMessage)
}

func TestEmptyBodyIsTheEmptyObject(t *testing.T) {
	t.Parallel()

	c := newClient(t, func(http.ResponseWriter, *http.Request) {})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()

	cf, err := c.Conference(ctx)
	require.NoError(t, err)
	assert.Empty(t, cf.Participants)
	require.NoError(t, c.StartRecording(ctx))
}

// TestAnswersThatAreNotTheResourceAreErrors: a 2xx answer to a change that
// does not carry the changed resource is a decode error, never a value.
func TestAnswersThatAreNotTheResourceAreErrors(t *testing.T) {
	t.Parallel()

	for name, body := range map[string]string{
		"empty":          ``,
		"error body":     `{"error":"injected"}`,
		"other resource": `{"id":"` + pid + `","name":"x","role":"attendee","language":"en"}`,
	} {
		c := newClient(t, func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, body) })
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()

		_, err := c.RenameConference(ctx, "x")
		assert.ErrorIs(t, err, transport.ErrMalformedMessage, name)
	}

	for name, body := range map[string]string{
		"empty":        ``,
		"error body":   `{"error":"injected"}`,
		"other id":     `{"id":"` + conf + `","name":"x","role":"attendee","language":"en"}`,
		"invalid role": `{"id":"` + pid + `","name":"x","role":"boss","language":"en"}`,
	} {
		c := newClient(t, func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, body) })
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()

		role := transport.RoleSpeaker
		_, err := c.UpdateParticipant(ctx, pid, transport.ParticipantPatch{Role: &role})
		assert.ErrorIs(t, err, transport.ErrMalformedMessage, name)
	}
}

// TestTokenAHeaderCannotCarryIsRefused: no request leaves with such a
// token, and the error does not repeat it.
func TestTokenAHeaderCannotCarryIsRefused(t *testing.T) {
	t.Parallel()

	var calls atomic.Int32
	c := newClient(t, func(http.ResponseWriter, *http.Request) { calls.Add(1) })
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()

	for _, tok := range []string{"SECRET\r\nX-Evil: 1", "SECRET\x00nul", "SECRET\ttab", "SECRET\x7f"} {
		require.ErrorIs(t, rest.CheckToken(tok), transport.ErrInvalidValue)
		c.Token = tok
		_, err := c.Conference(ctx)
		require.ErrorIs(t, err, transport.ErrInvalidValue)
		assert.NotContains(t, err.Error(), "SECRET")
	}
	assert.Zero(t, calls.Load())
	for _, tok := range []string{"", "with spaces", "SECRÉT", token} {
		assert.NoError(t, rest.CheckToken(tok), tok)
	}
}

func TestTimeoutIsDistinguishable(t *testing.T) {
	t.Parallel()

	release := make(chan struct{})
	c := newClient(t, func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release)
	c.Timeout = 50 * time.Millisecond
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()

	err := c.StartRecording(ctx)
	require.ErrorIs(t, err, rest.ErrTimeout)
	assert.NotErrorIs(t, err, context.Canceled)

	// The caller's own cancellation is not a timeout.
	cctx, ccancel := context.WithCancel(ctx)
	ccancel()
	err = c.StartRecording(cctx)
	require.Error(t, err)
	assert.NotErrorIs(t, err, rest.ErrTimeout)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestRecordingUsesTheHeaderNotTheURL(t *testing.T) {
	t.Parallel()

	c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.RawQuery != "" || r.Header.Get("Authorization") != "Bearer "+token {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		_, _ = io.WriteString(w, "media bytes")
	})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()

	rc, err := c.Recording(ctx)
	require.NoError(t, err)
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	assert.Equal(t, "media bytes", string(b))
}

func TestNetworkErrorHasNoToken(t *testing.T) {
	t.Parallel()

	srv := httptest.NewServer(http.NotFoundHandler())
	uri, err := transport.ParseConferenceURI(srv.URL + "/" + app + "/" + conf)
	require.NoError(t, err)
	srv.Close()

	c := &rest.Client{URI: uri, Token: token}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	_, err = c.Conference(ctx)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), token)
	var se *rest.StatusError
	assert.False(t, errors.As(err, &se))
}
