package transport

import (
	"encoding/json"
	"fmt"
)

// MediaFlags says whether a participant currently sends audio and video on
// one of its streams.
type MediaFlags struct {
	Audio bool `json:"audio"`
	Video bool `json:"video"`
}

// Recording is the recording part of a conference resource.
type Recording struct {
	Started bool `json:"started"`
}

// Participant is the participant resource (protocol §2.3). Servers always
// send it complete.
type Participant struct {
	ID       string  `json:"id"`
	Name     string  `json:"name"`
	Priority float64 `json:"priority"`
	// Language is "" when the server sent none or null.
	Language       Language   `json:"language"`
	Role           Role       `json:"role"`
	Online         bool       `json:"online"`
	Media          MediaFlags `json:"media"`
	SecondaryMedia MediaFlags `json:"secondaryMedia"`
}

// ParticipantWithToken is the answer to creating a participant through the
// application API (A5): the resource plus the participant's token, which is
// returned only there.
type ParticipantWithToken struct {
	Participant
	Token string `json:"token"`
}

// Conference is the conference resource (protocol §2.2).
type Conference struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Layout    Layout    `json:"layout"`
	Recording Recording `json:"recording"`
	// Participants is present in detailed reads. In the participant API's
	// snapshot (R1) element 0 is the caller.
	Participants []Participant `json:"participants,omitzero"`
}

// Message is the message resource (protocol §2.9).
type Message struct {
	ID         string `json:"id"`
	SentBy     string `json:"sentBy"`
	SendTo     string `json:"sendTo"`
	Text       string `json:"text"`
	Persistent bool   `json:"persistent"`
}

// MessageRequest is the body of R7 and A8.
type MessageRequest struct {
	SendTo     string `json:"sendTo"`
	Text       string `json:"text"`
	Persistent bool   `json:"persistent"`
}

// ConferencePatch is the body of R3 and A3. Nil fields are left unchanged.
type ConferencePatch struct {
	Name *string `json:"name,omitempty"`
}

// ParticipantPatch is the body of R6 and A6. The SDK sends exactly one
// field per request; servers accept any subset. Nil fields are left
// unchanged.
type ParticipantPatch struct {
	Name     *string   `json:"name,omitempty"`
	Priority *float64  `json:"priority,omitempty"`
	Language *Language `json:"language,omitempty"`
	Role     *Role     `json:"role,omitempty"`
}

// CreateConferenceRequest is the body of A1. RecordingLayout is accepted as
// a synonym of Layout; an empty layout means mosaic.
type CreateConferenceRequest struct {
	Name            string `json:"name"`
	Layout          Layout `json:"layout,omitempty"`
	RecordingLayout Layout `json:"recordingLayout,omitempty"`
}

// CreateParticipantRequest is the body of A5. Zero values take the
// defaults: role attendee, priority 1, language en.
type CreateParticipantRequest struct {
	Name     string   `json:"name"`
	Role     Role     `json:"role,omitempty"`
	Priority *float64 `json:"priority,omitempty"`
	Language Language `json:"language,omitempty"`
}

// SDP is the body of R2 requests and responses.
type SDP struct {
	SDP string `json:"sdp"`
}

// ErrorBody is the body of every error response of the reference server.
type ErrorBody struct {
	Error string `json:"error"`
}

// DecodeConference decodes a conference resource. Unknown fields are
// ignored. The error wraps [ErrMalformedMessage].
func DecodeConference(b []byte) (Conference, error) {
	var c Conference
	if err := json.Unmarshal(b, &c); err != nil {
		return Conference{}, fmt.Errorf("%w: conference: %v", ErrMalformedMessage, err)
	}
	return c, nil
}

// DecodeParticipant decodes a participant resource. Unknown fields are
// ignored; a missing or null language decodes as "". The error wraps
// [ErrMalformedMessage].
func DecodeParticipant(b []byte) (Participant, error) {
	var p Participant
	if err := json.Unmarshal(b, &p); err != nil {
		return Participant{}, fmt.Errorf("%w: participant: %v", ErrMalformedMessage, err)
	}
	return p, nil
}

// DecodeMessage decodes a message resource. The error wraps
// [ErrMalformedMessage].
func DecodeMessage(b []byte) (Message, error) {
	var m Message
	if err := json.Unmarshal(b, &m); err != nil {
		return Message{}, fmt.Errorf("%w: message: %v", ErrMalformedMessage, err)
	}
	return m, nil
}
