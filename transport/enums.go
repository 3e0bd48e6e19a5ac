package transport

import (
	"fmt"
	"slices"
)

// Role is a participant's role in a conference (protocol §7.2). It decides
// what the participant may do (§8.3) and whether its streams are mixed into
// the conference stream.
type Role string

// The roles of the Mind API, from least to most privileged.
const (
	RoleAttendee  Role = "attendee"
	RoleSpeaker   Role = "speaker"
	RolePresenter Role = "presenter"
	RoleModerator Role = "moderator"
)

// Roles lists every valid role, least privileged first.
var Roles = []Role{RoleAttendee, RoleSpeaker, RolePresenter, RoleModerator}

// Valid reports whether r is one of the roles of the protocol.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// String returns the wire value.
func (r Role) String() string { return string(r) }

// ParseRole returns the role with wire value s, or an error wrapping
// [ErrInvalidValue].
func ParseRole(s string) (Role, error) {
	if r := Role(s); r.Valid() {
		return r, nil
	}
	return "", fmt.Errorf("%w: role %q", ErrInvalidValue, s)
}

// Language is a participant's preferred language: a lowercase ISO 639-1
// code from the list of protocol §7.3. A value decoded from the network may
// be empty (missing or null) or unknown; such values are kept as they are
// and reported by [Language.Valid].
type Language string

// The languages of the Mind API.
const (
	LanguageArabic     Language = "ar"
	LanguageCzech      Language = "cs"
	LanguageGerman     Language = "de"
	LanguageEnglish    Language = "en"
	LanguageSpanish    Language = "es"
	LanguageFrench     Language = "fr"
	LanguageHindi      Language = "hi"
	LanguageHungarian  Language = "hu"
	LanguageItalian    Language = "it"
	LanguageJapanese   Language = "ja"
	LanguageKorean     Language = "ko"
	LanguageDutch      Language = "nl"
	LanguagePolish     Language = "pl"
	LanguagePortuguese Language = "pt"
	LanguageRussian    Language = "ru"
	LanguageTurkish    Language = "tr"
	LanguageChinese    Language = "zh"
)

// Languages lists every valid language in the order of protocol §7.3.
var Languages = []Language{
	LanguageArabic, LanguageCzech, LanguageGerman, LanguageEnglish, LanguageSpanish,
	LanguageFrench, LanguageHindi, LanguageHungarian, LanguageItalian, LanguageJapanese,
	LanguageKorean, LanguageDutch, LanguagePolish, LanguagePortuguese, LanguageRussian,
	LanguageTurkish, LanguageChinese,
}

// Valid reports whether l is one of the languages of the protocol.
func (l Language) Valid() bool { return slices.Contains(Languages, l) }

// String returns the wire value ("" when the language was missing or null).
func (l Language) String() string { return string(l) }

// ParseLanguage returns the language with wire value s, or an error wrapping
// [ErrInvalidValue].
func ParseLanguage(s string) (Language, error) {
	if l := Language(s); l.Valid() {
		return l, nil
	}
	return "", fmt.Errorf("%w: language %q", ErrInvalidValue, s)
}

// Layout is how the conference stream composes video (protocol §7.4). It is
// fixed when the conference is created.
type Layout string

// The layouts of the Mind API.
const (
	LayoutMosaic             Layout = "mosaic"
	LayoutSelector           Layout = "selector"
	LayoutPresentingMosaic   Layout = "presenting_mosaic"
	LayoutPresentingSelector Layout = "presenting_selector"
)

// Layouts lists every valid layout.
var Layouts = []Layout{LayoutMosaic, LayoutSelector, LayoutPresentingMosaic, LayoutPresentingSelector}

// Valid reports whether l is one of the layouts of the protocol.
func (l Layout) Valid() bool { return slices.Contains(Layouts, l) }

// String returns the wire value.
func (l Layout) String() string { return string(l) }

// ParseLayout returns the layout with wire value s, or an error wrapping
// [ErrInvalidValue].
func ParseLayout(s string) (Layout, error) {
	if l := Layout(s); l.Valid() {
		return l, nil
	}
	return "", fmt.Errorf("%w: layout %q", ErrInvalidValue, s)
}

// SessionState is the state of a participant's session (protocol §5.2),
// plus the terminal state Closed that the Go SDK adds. The zero value is
// not a state.
type SessionState int

// The session states.
const (
	// StateNormal: connected and healthy. Also the state a session starts in.
	StateNormal SessionState = iota + 1
	// StateLagging: connected, but the latest renegotiation timed out; the
	// session keeps retrying.
	StateLagging
	// StateFailed: the connection was lost and recovery is under way.
	StateFailed
	// StateClosed: the session has ended for good.
	StateClosed
)

// String returns the protocol's wire value ("normal", "lagging", "failed"),
// "closed" for StateClosed and "unknown" for anything else.
func (s SessionState) String() string {
	switch s {
	case StateNormal:
		return "normal"
	case StateLagging:
		return "lagging"
	case StateFailed:
		return "failed"
	case StateClosed:
		return "closed"
	default:
		return "unknown"
	}
}

// Valid reports whether s is one of the defined states.
func (s SessionState) Valid() bool { return s >= StateNormal && s <= StateClosed }
