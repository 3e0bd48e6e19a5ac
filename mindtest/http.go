package mindtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// CORS values of protocol §1.6.
const (
	corsMethods = "GET, POST, PATCH, DELETE, OPTIONS"
	corsHeaders = "Authorization, Content-Type, Accept, Mind-SDK"
)

// ServeHTTP implements http.Handler: CORS, request recording, fault
// injection, then routing.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.enter() {
		writeError(w, http.StatusServiceUnavailable, "server closed")
		return
	}
	defer s.leave()

	setCORS(w, r)
	if r.Method == http.MethodOptions {
		s.record.add(RecordedRequest{
			Method: r.Method, Path: r.URL.RequestURI(), Header: r.Header.Clone(), Time: time.Now(),
		})
		w.Header().Set("Access-Control-Allow-Methods", corsMethods)
		w.Header().Set("Access-Control-Allow-Headers", corsHeaders)
		w.Header().Set("Access-Control-Max-Age", "600")
		w.WriteHeader(http.StatusNoContent)

		return
	}

	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	s.record.add(RecordedRequest{
		Method: r.Method, Path: r.URL.RequestURI(), Header: r.Header.Clone(), Body: body, Time: time.Now(),
	})
	s.log.Debug("mindtest: request", "method", r.Method, "path", r.URL.Path)

	status, delay := s.faults.take(r)
	if status != 0 {
		writeError(w, status, "injected failure")
		return
	}
	if delay > 0 && !s.wait(r, delay) {
		return
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "reading the body failed")
		return
	}
	if len(body) > maxBodyBytes {
		writeError(w, http.StatusRequestEntityTooLarge, "body too large")
		return
	}

	s.route(w, r, body)
}

// wait holds a request for d; it reports false when the request or the
// server ended first.
func (s *Server) wait(r *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()

	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	case <-s.ctx.Done():
		return false
	}
}

// setCORS allows any origin (protocol §1.6).
func setCORS(w http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("Origin")
	if origin == "" {
		origin = "*"
	} else {
		w.Header().Add("Vary", "Origin")
	}
	w.Header().Set("Access-Control-Allow-Origin", origin)
}

// writeJSON answers status with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "encoding the response failed")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeError answers status with an error body.
func writeError(w http.ResponseWriter, status int, reason string) {
	b, _ := json.Marshal(struct {
		Error string `json:"error"`
	}{reason})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeModelError maps an error of the model to its status (protocol
// §13): 404 only for an ended conference or a deleted caller; an unknown
// target is a 400.
func writeModelError(w http.ResponseWriter, err error) {
	status := http.StatusInternalServerError
	switch {
	case errors.Is(err, ErrEnded), errors.Is(err, errGone):
		status = http.StatusNotFound
	case errors.Is(err, errForbidden):
		status = http.StatusForbidden
	case errors.Is(err, ErrInvalid), errors.Is(err, ErrNotFound):
		status = http.StatusBadRequest
	case errors.Is(err, ErrClosed):
		status = http.StatusServiceUnavailable
	}
	writeError(w, status, strings.TrimPrefix(err.Error(), "mindtest: "))
}

// decodeBody decodes a JSON object into v. Unknown fields are ignored.
// The error wraps ErrInvalid.
func decodeBody(body []byte, v any) error {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return fmt.Errorf("%w: the body must be a JSON object", ErrInvalid)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: malformed JSON body", ErrInvalid)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: trailing data after the JSON body", ErrInvalid)
	}

	return nil
}

// bearer returns the token of the Authorization header, or of the
// access_token query parameter when query is true and there is no header.
func bearer(r *http.Request, query bool) string {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return ""
		}
		return strings.TrimSpace(token)
	}
	if query {
		return r.URL.Query().Get("access_token")
	}

	return ""
}

// caller is who made a request on a conference: the application, or one
// of its participants.
type caller struct {
	conf *Conference
	pid  string // "" for the application
}

func (c caller) isApp() bool { return c.pid == "" }

// authorize authenticates a request on /{app}/{conf}/... It answers 401
// for a missing or foreign token and 404 for an unknown or ended
// conference or a deleted participant, and reports whether to go on.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, appID, confID string, query bool) (caller, bool) {
	token := bearer(r, query)
	if token == "" {
		writeError(w, http.StatusUnauthorized, "missing token")
		return caller{}, false
	}

	var cl caller
	if token == s.appToken {
		if appID != s.appID {
			writeError(w, http.StatusUnauthorized, "token not valid for this application")
			return caller{}, false
		}
		c, ok := s.Conference(confID)
		if !ok {
			writeError(w, http.StatusNotFound, "no such conference")
			return caller{}, false
		}
		cl = caller{conf: c}
	} else {
		e, ok := s.lookupToken(token)
		if !ok || e.conf.id != confID || appID != s.appID {
			writeError(w, http.StatusUnauthorized, "invalid token")
			return caller{}, false
		}
		cl = caller(e)
	}

	cl.conf.mu.Lock()
	_, err := cl.conf.checkLocked(cl.pid)
	cl.conf.mu.Unlock()
	if err != nil {
		writeModelError(w, err)
		return caller{}, false
	}

	return cl, true
}

// allow answers 405 unless the method is one of methods.
func allow(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	for _, m := range methods {
		if r.Method == m {
			return true
		}
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	writeError(w, http.StatusMethodNotAllowed, "method not allowed")

	return false
}

// route dispatches by path:
//
//	/{app}                                   A1
//	/{app}/{conf}[/]                         R1 R2 R3, A2 A3 A4, WebSocket
//	/{app}/{conf}/participants               A5
//	/{app}/{conf}/participants/{id}          R6, A6 A7
//	/{app}/{conf}/messages                   R7, A8
//	/{app}/{conf}/recording                  R8
//	/{app}/{conf}/recording/{start|stop}     R4 R5, A9
func (s *Server) route(w http.ResponseWriter, r *http.Request, body []byte) {
	path := strings.TrimPrefix(r.URL.Path, "/")
	path = strings.TrimSuffix(path, "/")
	segs := strings.Split(path, "/")
	for _, seg := range segs {
		if seg == "" {
			writeError(w, http.StatusBadRequest, "no such resource")
			return
		}
	}

	if len(segs) == 1 {
		s.handleApplication(w, r, segs[0], body)
		return
	}

	cl, ok := s.routeShape(w, r, segs)
	if !ok {
		return
	}

	switch {
	case len(segs) == 2:
		s.handleRoot(w, r, cl, body)
	case len(segs) == 3 && segs[2] == "participants":
		s.handleParticipants(w, r, cl, body)
	case len(segs) == 4 && segs[2] == "participants":
		s.handleParticipant(w, r, cl, segs[3], body)
	case len(segs) == 3 && segs[2] == "messages":
		s.handleMessages(w, r, cl, body)
	case len(segs) == 3 && segs[2] == "recording":
		s.handleDownload(w, r, cl)
	default:
		s.handleRecording(w, r, cl, segs[3], body)
	}
}

// routeShape rejects unknown paths and authenticates the known ones.
func (s *Server) routeShape(w http.ResponseWriter, r *http.Request, segs []string) (caller, bool) {
	known := len(segs) == 2 ||
		(len(segs) == 3 && (segs[2] == "participants" || segs[2] == "messages" || segs[2] == "recording")) ||
		(len(segs) == 4 && segs[2] == "participants") ||
		(len(segs) == 4 && segs[2] == "recording" && (segs[3] == "start" || segs[3] == "stop"))
	if !known {
		writeError(w, http.StatusBadRequest, "no such resource")
		return caller{}, false
	}

	// Tokens in the query are accepted where a header cannot be set: the
	// recording download and the WebSocket.
	query := (len(segs) == 3 && segs[2] == "recording") || (len(segs) == 2 && isWebSocket(r))

	return s.authorize(w, r, segs[0], segs[1], query)
}

// isWebSocket reports whether r asks for a WebSocket upgrade.
func isWebSocket(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}
