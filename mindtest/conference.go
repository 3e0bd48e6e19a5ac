package mindtest

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/mindsdk/mindgo/transport"
)

// Conference is the server's handle on one conference. Its methods act as
// the application (the server part of an app) and are safe for concurrent
// use; every change is serialised with its notifications.
type Conference struct {
	srv *Server
	id  string
	uri string

	// mu guards everything below and serialises every change of the
	// conference together with the notifications it queues, so every
	// receiver sees the same order and a snapshot reflects every
	// notification queued before it.
	mu        sync.Mutex
	name      string
	layout    transport.Layout
	recording bool
	ended     bool
	order     []*participant           // creation order; expelled ones removed
	byID      map[string]*participant  // same set as order
	expelled  map[string]*participant  // kept for Notifications
	app       []*receiver              // the application's notification channels
	appLog    []string                 // texts queued to the application
	toApp     []transport.Message      // messages the application received
	changed   chan struct{}            // closed and replaced on presence changes
	sdp       map[string][]SDPExchange // offers and answers per participant
	distorted map[string][]string      // distortion reports per participant
	joins     uint64                   // counts participants coming online
}

// participant is the server-side state of one participant.
type participant struct {
	dto       transport.Participant
	receivers []*receiver // open notification channels; online while any
	// pending are data channels still opening: they queue notifications
	// (written once the channel opens) but do not make p online.
	pending []*receiver
	joined  uint64   // when p last came online, from Conference.joins
	log     []string // texts queued to this participant, in order
}

func newConference(srv *Server, name string, layout transport.Layout) *Conference {
	id := newUUID()

	return &Conference{
		srv:      srv,
		id:       id,
		uri:      srv.URL() + "/" + srv.appID + "/" + id,
		name:     name,
		layout:   layout,
		byID:     make(map[string]*participant),
		expelled: make(map[string]*participant),
		changed:  make(chan struct{}),
	}
}

// encode builds the text of one notification.
func encode(t transport.NotificationType, location string, resource any) string {
	n, err := transport.NewNotification(t, location, resource)
	if err != nil {
		// Only the server's own DTOs are encoded here; they always marshal.
		panic(fmt.Sprintf("mindtest: encoding a notification: %v", err))
	}
	b, err := transport.Marshal(n)
	if err != nil {
		panic(fmt.Sprintf("mindtest: encoding a notification: %v", err))
	}

	return string(b)
}

// conferenceDTOLocked returns the conference resource without participants.
func (c *Conference) conferenceDTOLocked() transport.Conference {
	return transport.Conference{
		ID:        c.id,
		Name:      c.name,
		Layout:    c.layout,
		Recording: transport.Recording{Started: c.recording},
	}
}

// checkLocked reports whether the conference is live and, for a
// participant actor, returns it. actor "" is the application.
func (c *Conference) checkLocked(actor string) (*participant, error) {
	if c.ended {
		return nil, ErrEnded
	}
	if actor == "" {
		return nil, nil
	}
	p, ok := c.byID[actor]
	if !ok {
		return nil, errGone
	}

	return p, nil
}

// requireModeratorLocked fails with errForbidden unless the actor is the
// application or a moderator.
func requireModerator(p *participant) error {
	if p != nil && p.dto.Role != transport.RoleModerator {
		return fmt.Errorf("%w: moderator role required", errForbidden)
	}

	return nil
}

// deliverLocked queues text to every open or opening channel of p.
func (c *Conference) deliverLocked(p *participant, text string) {
	if len(p.receivers) == 0 && len(p.pending) == 0 {
		return
	}
	p.log = append(p.log, text)
	for _, r := range p.receivers {
		r.send(text)
	}
	for _, r := range p.pending {
		r.send(text)
	}
}

// closeChannelsLocked queues a close code to every channel of p, opening
// ones included, and forgets them.
func (c *Conference) closeChannelsLocked(p *participant, code int) {
	if len(p.receivers) > 0 || len(p.pending) > 0 {
		p.log = append(p.log, strconv.Itoa(code))
	}
	for _, r := range p.receivers {
		r.terminate(code)
	}
	for _, r := range p.pending {
		r.terminate(code)
	}
	p.receivers, p.pending = nil, nil
}

// toApplicationLocked queues text to the application's channels.
func (c *Conference) toApplicationLocked(text string) {
	if len(c.app) == 0 {
		return
	}
	c.appLog = append(c.appLog, text)
	for _, r := range c.app {
		r.send(text)
	}
}

// fanoutLocked queues text to every online participant except the one
// with ID except (none when ""), then to the application.
func (c *Conference) fanoutLocked(text, except string) {
	for _, p := range c.order {
		if p.dto.ID != except {
			c.deliverLocked(p, text)
		}
	}
	c.toApplicationLocked(text)
}

// presenceChangedLocked wakes every WaitOnline.
func (c *Conference) presenceChangedLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// snapshot returns the conference with its participants. For a
// participant caller the caller comes first (R1); for the application
// (caller "") the order is creation order.
func (c *Conference) snapshot(caller string) (transport.Conference, error) {
	c.mu.Lock()
	defer c.mu.Unlock()

	self, err := c.checkLocked(caller)
	if err != nil {
		return transport.Conference{}, err
	}

	dto := c.conferenceDTOLocked()
	dto.Participants = make([]transport.Participant, 0, len(c.order))
	if self != nil {
		dto.Participants = append(dto.Participants, self.dto)
	}
	for _, p := range c.order {
		if p != self {
			dto.Participants = append(dto.Participants, p.dto)
		}
	}

	return dto, nil
}

// summary returns the conference without participants.
func (c *Conference) summary(caller string) (transport.Conference, error) {
	c.mu.Lock()
	defer c.mu.Unlock()

	if _, err := c.checkLocked(caller); err != nil {
		return transport.Conference{}, err
	}

	return c.conferenceDTOLocked(), nil
}

// MaxNameLength is the longest conference or participant name the server
// accepts, in bytes. Longer names are refused with 400, so that no single
// change can produce a notification larger than a data channel message.
const MaxNameLength = 256

// MaxMessageLength is the longest message text the server accepts, in
// bytes.
const MaxMessageLength = 16 << 10

// validName rejects empty, blank and overlong names.
func validName(name string) error {
	if strings.TrimSpace(name) == "" {
		return fmt.Errorf("%w: empty name", ErrInvalid)
	}
	if len(name) > MaxNameLength {
		return fmt.Errorf("%w: name longer than %d bytes", ErrInvalid, MaxNameLength)
	}

	return nil
}

// rename changes the conference name (R3, A3).
func (c *Conference) rename(actor, name string) (transport.Conference, error) {
	if err := validName(name); err != nil {
		return transport.Conference{}, err
	}

	c.mu.Lock()
	defer c.mu.Unlock()

	p, err := c.checkLocked(actor)
	if err != nil {
		return transport.Conference{}, err
	}
	if err := requireModerator(p); err != nil {
		return transport.Conference{}, err
	}
	if c.name != name {
		c.name = name
		c.fanoutLocked(encode(transport.Updated, transport.LocationConference, c.conferenceDTOLocked()), "")
	}

	return c.conferenceDTOLocked(), nil
}

// setRecording starts or stops the recording (R4/R5, A9).
func (c *Conference) setRecording(actor string, started bool) (transport.Conference, error) {
	c.mu.Lock()
	defer c.mu.Unlock()

	p, err := c.checkLocked(actor)
	if err != nil {
		return transport.Conference{}, err
	}
	if err := requireModerator(p); err != nil {
		return transport.Conference{}, err
	}
	if c.recording != started {
		c.recording = started
		c.fanoutLocked(encode(transport.Updated, transport.LocationConference, c.conferenceDTOLocked()), "")
	}

	return c.conferenceDTOLocked(), nil
}

// validatePatch checks every field present in patch.
func validatePatch(patch transport.ParticipantPatch) error {
	if patch.Name == nil && patch.Priority == nil && patch.Language == nil && patch.Role == nil {
		return fmt.Errorf("%w: nothing to change", ErrInvalid)
	}
	if patch.Name != nil {
		if err := validName(*patch.Name); err != nil {
			return err
		}
	}
	if patch.Priority != nil && (math.IsNaN(*patch.Priority) || math.IsInf(*patch.Priority, 0)) {
		return fmt.Errorf("%w: priority must be a finite number", ErrInvalid)
	}
	if patch.Language != nil && !patch.Language.Valid() {
		return fmt.Errorf("%w: unknown language", ErrInvalid)
	}
	if patch.Role != nil && !patch.Role.Valid() {
		return fmt.Errorf("%w: unknown role", ErrInvalid)
	}

	return nil
}

// updateParticipant applies patch to participant id (R6, A6). A
// participant may change its own name; anything else needs a moderator.
// An unknown target is ErrNotFound.
func (c *Conference) updateParticipant(
	actor, id string, patch transport.ParticipantPatch,
) (transport.Participant, error) {
	if err := validatePatch(patch); err != nil {
		return transport.Participant{}, err
	}

	c.mu.Lock()
	defer c.mu.Unlock()

	self, err := c.checkLocked(actor)
	if err != nil {
		return transport.Participant{}, err
	}
	target, ok := c.byID[id]
	if !ok {
		return transport.Participant{}, fmt.Errorf("%w: participant", ErrNotFound)
	}
	ownName := self == target && patch.Priority == nil && patch.Language == nil && patch.Role == nil
	if !ownName {
		if err := requireModerator(self); err != nil {
			return transport.Participant{}, err
		}
	}

	before := target.dto
	if patch.Name != nil {
		target.dto.Name = *patch.Name
	}
	if patch.Priority != nil {
		target.dto.Priority = *patch.Priority
	}
	if patch.Language != nil {
		target.dto.Language = *patch.Language
	}
	if patch.Role != nil {
		target.dto.Role = *patch.Role
	}
	if target.dto != before {
		c.fanoutLocked(encode(transport.Updated, transport.ParticipantLocation(id), target.dto), "")
		if target.dto.Role != before.Role || target.dto.Priority != before.Priority {
			c.srv.media.reselect(c)
		}
	}

	return target.dto, nil
}

// participantDTO returns participant id as the application sees it.
func (c *Conference) participantDTO(id string) (transport.Participant, error) {
	c.mu.Lock()
	defer c.mu.Unlock()

	if _, err := c.checkLocked(""); err != nil {
		return transport.Participant{}, err
	}
	p, ok := c.byID[id]
	if !ok {
		return transport.Participant{}, fmt.Errorf("%w: participant", ErrNotFound)
	}

	return p.dto, nil
}

// createParticipant adds a participant (A5) with the defaults of protocol
// §13 for missing fields. The Go helper allows an empty name; the HTTP
// handler (A5) refuses it.
func (c *Conference) createParticipant(req transport.CreateParticipantRequest) (transport.ParticipantWithToken, error) {
	if len(req.Name) > MaxNameLength {
		return transport.ParticipantWithToken{}, fmt.Errorf("%w: name longer than %d bytes", ErrInvalid, MaxNameLength)
	}
	dto := transport.Participant{
		ID:       newUUID(),
		Name:     req.Name,
		Priority: 1,
		Language: transport.LanguageEnglish,
		Role:     transport.RoleAttendee,
	}
	if req.Role != "" {
		if !req.Role.Valid() {
			return transport.ParticipantWithToken{}, fmt.Errorf("%w: unknown role", ErrInvalid)
		}
		dto.Role = req.Role
	}
	if req.Language != "" {
		if !req.Language.Valid() {
			return transport.ParticipantWithToken{}, fmt.Errorf("%w: unknown language", ErrInvalid)
		}
		dto.Language = req.Language
	}
	if req.Priority != nil {
		if math.IsNaN(*req.Priority) || math.IsInf(*req.Priority, 0) {
			return transport.ParticipantWithToken{}, fmt.Errorf("%w: priority must be a finite number", ErrInvalid)
		}
		dto.Priority = *req.Priority
	}
	token := newToken()

	c.mu.Lock()
	defer c.mu.Unlock()

	if _, err := c.checkLocked(""); err != nil {
		return transport.ParticipantWithToken{}, err
	}
	if err := c.srv.registerToken(token, c, dto.ID); err != nil {
		return transport.ParticipantWithToken{}, err
	}
	p := &participant{dto: dto}
	c.order = append(c.order, p)
	c.byID[dto.ID] = p
	c.fanoutLocked(encode(transport.Created, transport.ParticipantLocation(dto.ID), dto), dto.ID)

	return transport.ParticipantWithToken{Participant: dto, Token: token}, nil
}

// sendMessage delivers a message from actor (a participant, or the
// application when "") per protocol §10.6. An unknown recipient is
// ErrInvalid (never a 404 on the wire).
func (c *Conference) sendMessage(actor string, req transport.MessageRequest) (transport.Message, error) {
	c.mu.Lock()
	defer c.mu.Unlock()

	if _, err := c.checkLocked(actor); err != nil {
		return transport.Message{}, err
	}
	if len(req.Text) > MaxMessageLength {
		return transport.Message{}, fmt.Errorf("%w: text longer than %d bytes", ErrInvalid, MaxMessageLength)
	}
	msg := transport.Message{
		ID:         newUUID(),
		SentBy:     actor,
		SendTo:     req.SendTo,
		Text:       req.Text,
		Persistent: req.Persistent,
	}
	if actor == "" {
		msg.SentBy = c.srv.appID
	}
	text := func() string { return encode(transport.Created, transport.MessageLocation(msg.ID), msg) }

	switch to := c.byID[req.SendTo]; {
	case to != nil:
		t := text()
		c.deliverLocked(to, t)
		if actor != "" && to.dto.Online {
			// The application's socket sees every notification a
			// participant sees (protocol §12.4), private messages included.
			c.toApplicationLocked(t)
		}
	case req.SendTo == c.id:
		t := text()
		for _, p := range c.order {
			if p.dto.ID != actor {
				c.deliverLocked(p, t)
			}
		}
		if actor != "" {
			c.toApp = append(c.toApp, msg)
			c.toApplicationLocked(t)
		}
	case req.SendTo == c.srv.appID && actor != "":
		c.toApp = append(c.toApp, msg)
		c.toApplicationLocked(text())
	default:
		return transport.Message{}, fmt.Errorf("%w: unknown recipient", ErrInvalid)
	}

	return msg, nil
}

// expel deletes participant id (A7): 4001 to it, deleted to the others.
func (c *Conference) expel(id string) error {
	c.mu.Lock()
	defer c.mu.Unlock()

	if _, err := c.checkLocked(""); err != nil {
		return err
	}
	p, ok := c.byID[id]
	if !ok {
		return fmt.Errorf("%w: participant", ErrNotFound)
	}
	delete(c.byID, id)
	c.expelled[id] = p
	c.order = slices.DeleteFunc(c.order, func(q *participant) bool { return q == p })

	c.closeChannelsLocked(p, transport.CloseExpelled)
	p.dto.Online = false
	c.fanoutLocked(encode(transport.Deleted, transport.ParticipantLocation(id), nil), "")
	c.presenceChangedLocked()
	c.srv.media.participantGone(c, id)
	c.srv.media.reselect(c)

	return nil
}

// end ends the conference (A4): 4000 to everyone, then every request on
// it fails.
func (c *Conference) end() error {
	c.mu.Lock()
	defer c.mu.Unlock()

	if _, err := c.checkLocked(""); err != nil {
		return err
	}
	c.ended = true
	for _, p := range c.order {
		c.closeChannelsLocked(p, transport.CloseConferenceEnded)
		p.dto.Online = false
	}
	if len(c.app) > 0 {
		c.appLog = append(c.appLog, "4000")
	}
	for _, r := range c.app {
		r.terminate(transport.CloseConferenceEnded)
	}
	c.app = nil
	c.presenceChangedLocked()
	c.srv.media.conferenceEnded(c)

	return nil
}
