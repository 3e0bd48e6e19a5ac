package mindtest

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/mindsdk/mindgo/transport"
)

// handleApplication serves /{app}: A1, create a conference.
func (s *Server) handleApplication(w http.ResponseWriter, r *http.Request, appID string, body []byte) {
	token := bearer(r, false)
	if token == "" {
		writeError(w, http.StatusUnauthorized, "missing token")
		return
	}
	if token != s.appToken || appID != s.appID {
		writeError(w, http.StatusUnauthorized, "invalid token")
		return
	}
	if !allow(w, r, http.MethodPost) {
		return
	}

	var req transport.CreateConferenceRequest
	if err := decodeBody(body, &req); err != nil {
		writeModelError(w, err)
		return
	}
	layout := req.Layout
	if layout == "" {
		layout = req.RecordingLayout
	}
	if err := validName(req.Name); err != nil {
		writeModelError(w, err)
		return
	}
	c, err := s.CreateConference(req.Name, layout)
	if err != nil {
		writeModelError(w, err)
		return
	}
	dto, err := c.summary("")
	if err != nil {
		writeModelError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, dto)
}

// handleRoot serves /{app}/{conf}: the WebSocket, R1–R3 for participants
// and A2–A4 for the application.
func (s *Server) handleRoot(w http.ResponseWriter, r *http.Request, cl caller, body []byte) {
	if isWebSocket(r) {
		s.serveWebSocket(w, r, cl)
		return
	}
	if !allow(w, r, http.MethodGet, http.MethodPatch, http.MethodPost, http.MethodDelete) {
		return
	}

	switch r.Method {
	case http.MethodGet:
		var dto transport.Conference
		var err error
		if cl.isApp() || r.URL.Query().Get("detailed") == "true" {
			dto, err = cl.conf.snapshot(cl.pid)
		} else {
			dto, err = cl.conf.summary(cl.pid)
		}
		if err != nil {
			writeModelError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, dto)

	case http.MethodPatch:
		var patch transport.ConferencePatch
		if err := decodeBody(body, &patch); err != nil {
			writeModelError(w, err)
			return
		}
		if patch.Name == nil {
			writeError(w, http.StatusBadRequest, "invalid value: nothing to change")
			return
		}
		dto, err := cl.conf.rename(cl.pid, *patch.Name)
		if err != nil {
			writeModelError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, dto)

	case http.MethodPost:
		if cl.isApp() {
			writeError(w, http.StatusForbidden, "forbidden: the application has no media session")
			return
		}
		s.handleOffer(w, r, cl, body)

	case http.MethodDelete:
		if !cl.isApp() {
			writeError(w, http.StatusForbidden, "forbidden: only the application ends a conference")
			return
		}
		if err := cl.conf.end(); err != nil {
			writeModelError(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

// handleOffer serves R2 through the media engine.
func (s *Server) handleOffer(w http.ResponseWriter, r *http.Request, cl caller, body []byte) {
	var req transport.SDP
	if err := decodeBody(body, &req); err != nil {
		writeModelError(w, err)
		return
	}
	if req.SDP == "" {
		writeError(w, http.StatusBadRequest, "invalid value: empty sdp")
		return
	}

	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	stop := context.AfterFunc(s.ctx, cancel)
	defer stop()

	answer, err := s.media.answer(ctx, cl.conf, cl.pid, req.SDP)
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, transport.SDP{SDP: answer})
	case errors.Is(err, errNoMedia):
		writeError(w, http.StatusNotImplemented, "media is not available in this server")
	case errors.Is(err, ErrInvalid):
		writeError(w, http.StatusBadRequest, "invalid value: unparsable sdp")
	case errors.Is(err, ErrEnded), errors.Is(err, errGone):
		writeModelError(w, err)
	case errors.Is(err, ErrClosed):
		writeError(w, http.StatusServiceUnavailable, "the server is closing")
	default:
		writeError(w, http.StatusConflict, "the offer cannot be applied")
	}
}

// handleParticipants serves /{app}/{conf}/participants: A5.
func (s *Server) handleParticipants(w http.ResponseWriter, r *http.Request, cl caller, body []byte) {
	if !allow(w, r, http.MethodPost) {
		return
	}
	if !cl.isApp() {
		writeError(w, http.StatusForbidden, "forbidden: only the application creates participants")
		return
	}

	var req transport.CreateParticipantRequest
	if err := decodeBody(body, &req); err != nil {
		writeModelError(w, err)
		return
	}
	if err := validName(req.Name); err != nil {
		writeModelError(w, err)
		return
	}
	p, err := cl.conf.createParticipant(req)
	if err != nil {
		writeModelError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, p)
}

// handleParticipant serves /{app}/{conf}/participants/{id}: R6, A6, A7.
func (s *Server) handleParticipant(w http.ResponseWriter, r *http.Request, cl caller, id string, body []byte) {
	if !allow(w, r, http.MethodGet, http.MethodPatch, http.MethodDelete) {
		return
	}
	if r.Method != http.MethodPatch && !cl.isApp() {
		writeError(w, http.StatusForbidden, "forbidden: application API")
		return
	}

	switch r.Method {
	case http.MethodGet:
		p, err := cl.conf.participantDTO(id)
		if err != nil {
			writeModelError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, p)

	case http.MethodPatch:
		var patch transport.ParticipantPatch
		if err := decodeBody(body, &patch); err != nil {
			writeModelError(w, err)
			return
		}
		p, err := cl.conf.updateParticipant(cl.pid, id, patch)
		if err != nil {
			writeModelError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, p)

	case http.MethodDelete:
		if err := cl.conf.expel(id); err != nil {
			writeModelError(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

// handleMessages serves /{app}/{conf}/messages: R7, A8.
func (s *Server) handleMessages(w http.ResponseWriter, r *http.Request, cl caller, body []byte) {
	if !allow(w, r, http.MethodPost) {
		return
	}

	var req transport.MessageRequest
	if err := decodeBody(body, &req); err != nil {
		writeModelError(w, err)
		return
	}
	msg, err := cl.conf.sendMessage(cl.pid, req)
	if err != nil {
		writeModelError(w, err)
		return
	}
	status := http.StatusOK
	if cl.isApp() {
		status = http.StatusCreated
	}
	writeJSON(w, status, msg)
}

// handleRecording serves /{app}/{conf}/recording/{start|stop}: R4, R5,
// A9.
func (s *Server) handleRecording(w http.ResponseWriter, r *http.Request, cl caller, action string, body []byte) {
	if !allow(w, r, http.MethodPost) {
		return
	}
	// The SDK sends {}; an empty body is accepted too.
	if len(body) > 0 {
		var ignored struct{}
		if err := decodeBody(body, &ignored); err != nil {
			writeModelError(w, err)
			return
		}
	}

	dto, err := cl.conf.setRecording(cl.pid, action == "start")
	if err != nil {
		writeModelError(w, err)
		return
	}
	if cl.isApp() {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeJSON(w, http.StatusOK, dto)
}

// recordingPlaceholder is what GET /recording answers: the server records
// nothing, so the download is a fixed placeholder.
const recordingPlaceholder = "mindtest: this server records nothing; this file stands in for a recording\n"

// handleDownload serves /{app}/{conf}/recording: R8, moderators and the
// application only.
func (s *Server) handleDownload(w http.ResponseWriter, r *http.Request, cl caller) {
	if !allow(w, r, http.MethodGet) {
		return
	}
	dto, err := cl.conf.summary(cl.pid)
	if err != nil {
		writeModelError(w, err)
		return
	}
	if !cl.isApp() {
		p, ok := cl.conf.Participant(cl.pid)
		if !ok {
			writeModelError(w, errGone)
			return
		}
		if p.Role != transport.RoleModerator {
			writeError(w, http.StatusForbidden, "forbidden: moderator role required")
			return
		}
	}

	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="`+dto.ID+`.txt"`)
	http.ServeContent(w, r, dto.ID+".txt", time.Time{}, strings.NewReader(recordingPlaceholder))
}
