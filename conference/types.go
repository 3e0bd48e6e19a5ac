package conference

import "github.com/mindsdk/mindgo/transport"

// Role is a participant's role (protocol §7.2).
type Role = transport.Role

// Language is a participant's preferred language (protocol §7.3). It may be
// empty or unknown when the server sent such a value.
type Language = transport.Language

// Layout is the layout of the conference stream (protocol §7.4).
type Layout = transport.Layout

// MediaFlags says whether a participant sends audio and video on a stream.
type MediaFlags = transport.MediaFlags

// Participant is a remote participant as last reported by the server. Only
// online participants are part of the model.
type Participant struct {
	// ID is the participant's ID.
	ID string
	// Name is the display name.
	Name string
	// Priority places the participant in layouts; higher is more prominent.
	Priority float64
	// Language is the preferred language.
	Language Language
	// Role is the participant's role.
	Role Role
	// Media says what the participant sends on its primary stream.
	Media MediaFlags
	// SecondaryMedia says what it sends on its secondary stream.
	SecondaryMedia MediaFlags
}

// ParticipantFrom converts a participant resource into a model value. The
// resource's online flag is not kept: every participant of the model is
// online.
func ParticipantFrom(p transport.Participant) Participant {
	return Participant{
		ID:             p.ID,
		Name:           p.Name,
		Priority:       p.Priority,
		Language:       p.Language,
		Role:           p.Role,
		Media:          p.Media,
		SecondaryMedia: p.SecondaryMedia,
	}
}

// Me is the local participant: the one whose token the session uses. Its
// media state is local truth and is not part of this model.
type Me struct {
	// ID is the local participant's ID.
	ID string
	// Name is its display name.
	Name string
	// Priority places it in layouts.
	Priority float64
	// Language is its preferred language.
	Language Language
	// Role is its role, which decides what it may change (protocol §8.3).
	Role Role
}

// MeFrom converts the first element of a snapshot into a model value.
func MeFrom(p transport.Participant) Me {
	return Me{ID: p.ID, Name: p.Name, Priority: p.Priority, Language: p.Language, Role: p.Role}
}
