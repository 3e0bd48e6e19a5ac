package transport

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// NotificationType is the type field of a notification.
type NotificationType string

// The notification types of protocol §3.2. Any other value is ignored by
// clients.
const (
	Created NotificationType = "created"
	Updated NotificationType = "updated"
	Deleted NotificationType = "deleted"
)

// Valid reports whether t is created, updated or deleted.
func (t NotificationType) Valid() bool { return t == Created || t == Updated || t == Deleted }

// String returns the wire value.
func (t NotificationType) String() string { return string(t) }

// Close codes sent by the server (protocol §3.7 and §12.2): as the text of a
// data channel message, or as a WebSocket close status.
const (
	// CloseConferenceEnded: the conference has ended.
	CloseConferenceEnded = 4000
	// CloseExpelled: the participant has been expelled.
	CloseExpelled = 4001
)

// Locations of notifications, relative to the conference.
const (
	// LocationConference is the conference resource itself.
	LocationConference = "/"
	// LocationMe is the client-side alias of the local participant, used for
	// synthesised expulsions (protocol §3.8). Servers never send it.
	LocationMe = "/participants/me"
	// ParticipantsPrefix starts every participant location.
	ParticipantsPrefix = "/participants/"
	// MessagesPrefix starts every message location.
	MessagesPrefix = "/messages/"
)

// Notification is the envelope of protocol §3.2. Resource holds the complete
// resource for created and updated, and is empty for deleted.
type Notification struct {
	Type     NotificationType `json:"type"`
	Location string           `json:"location"`
	Resource json.RawMessage  `json:"resource,omitempty"`
}

// LocationKind says what a notification's location names.
type LocationKind int

// The kinds of location.
const (
	// LocationUnknown: a location clients ignore.
	LocationUnknown LocationKind = iota
	// LocationIsConference: "/".
	LocationIsConference
	// LocationIsParticipant: "/participants/<id>" (the id may be "me").
	LocationIsParticipant
	// LocationIsMessage: "/messages/<id>".
	LocationIsMessage
)

// ParseLocation splits a notification location into its kind and the ID it
// names (empty for the conference).
func ParseLocation(loc string) (LocationKind, string) {
	switch {
	case loc == LocationConference:
		return LocationIsConference, ""
	case strings.HasPrefix(loc, ParticipantsPrefix):
		id := loc[len(ParticipantsPrefix):]
		if id == "" || strings.Contains(id, "/") {
			return LocationUnknown, ""
		}
		return LocationIsParticipant, id
	case strings.HasPrefix(loc, MessagesPrefix):
		id := loc[len(MessagesPrefix):]
		if id == "" || strings.Contains(id, "/") {
			return LocationUnknown, ""
		}
		return LocationIsMessage, id
	default:
		return LocationUnknown, ""
	}
}

// ParticipantLocation returns "/participants/<id>".
func ParticipantLocation(id string) string { return ParticipantsPrefix + id }

// MessageLocation returns "/messages/<id>".
func MessageLocation(id string) string { return MessagesPrefix + id }

// NewNotification builds a notification whose resource is v encoded as JSON
// (v nil gives no resource). Characters such as < and & are written as
// they are, not escaped, so a resource is never larger than its text.
func NewNotification(t NotificationType, location string, v any) (Notification, error) {
	n := Notification{Type: t, Location: location}
	if v != nil {
		b, err := Marshal(v)
		if err != nil {
			return Notification{}, err
		}
		n.Resource = b
	}
	return n, nil
}

// Marshal encodes v as compact JSON without HTML escaping (the Mind API
// carries JSON, not HTML). Unlike json.Marshal it does not turn <, > and &
// into six-byte escapes.
func Marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// DecodeNotification decodes one notification. It requires a JSON object
// with a string type and location; a type other than created, updated or
// deleted is returned as it is (clients ignore it). The error wraps
// [ErrMalformedMessage].
func DecodeNotification(b []byte) (Notification, error) {
	var n Notification
	if err := json.Unmarshal(b, &n); err != nil {
		return Notification{}, fmt.Errorf("%w: notification: %v", ErrMalformedMessage, err)
	}
	if n.Type == "" || n.Location == "" {
		return Notification{}, fmt.Errorf("%w: notification without type or location", ErrMalformedMessage)
	}
	if string(n.Resource) == "null" {
		n.Resource = nil
	}
	return n, nil
}

// ChannelMessage is one text message from the server on a notification
// channel: either a close code or a notification.
type ChannelMessage struct {
	// CloseCode is CloseConferenceEnded or CloseExpelled, or 0 for a
	// notification.
	CloseCode int
	// Notification is set when CloseCode is 0.
	Notification Notification
}

// ParseChannelMessage parses the text of one data channel message (protocol
// §3.1): the exact texts "4000" and "4001" are close codes, anything else
// must be a notification. The error wraps [ErrMalformedMessage].
func ParseChannelMessage(text []byte) (ChannelMessage, error) {
	switch string(text) {
	case "4000":
		return ChannelMessage{CloseCode: CloseConferenceEnded}, nil
	case "4001":
		return ChannelMessage{CloseCode: CloseExpelled}, nil
	}
	n, err := DecodeNotification(text)
	if err != nil {
		return ChannelMessage{}, err
	}
	return ChannelMessage{Notification: n}, nil
}
