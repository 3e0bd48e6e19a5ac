package transport

import (
	"fmt"
	"net/url"
	"strings"
)

// ConferenceURI is a validated conference URI (protocol §1.1) and the
// values derived from it (§1.2).
type ConferenceURI struct {
	// Base is the URI without its trailing slash, for example
	// "https://api.mind.com/<app>/<conf>". Every request URL is Base plus a
	// path that starts with "/".
	Base string
	// Origin is the scheme and authority, for example "https://api.mind.com".
	Origin string
	// ApplicationID is the first path segment.
	ApplicationID string
	// ConferenceID is the second path segment.
	ConferenceID string
}

// ParseConferenceURI validates s against protocol §1.1 (scheme http or https,
// an authority without "/", two lowercase canonical UUIDs, at most one
// trailing slash, no query and no fragment). It touches no network. The
// error wraps [ErrMalformedURI] and never repeats more of the input than
// its shape.
func ParseConferenceURI(s string) (ConferenceURI, error) {
	var scheme, rest string
	switch {
	case strings.HasPrefix(s, "https://"):
		scheme, rest = "https", s[len("https://"):]
	case strings.HasPrefix(s, "http://"):
		scheme, rest = "http", s[len("http://"):]
	default:
		return ConferenceURI{}, fmt.Errorf("%w: scheme must be http or https", ErrMalformedURI)
	}
	rest = strings.TrimSuffix(rest, "/")
	parts := strings.Split(rest, "/")
	if len(parts) != 3 {
		return ConferenceURI{}, fmt.Errorf("%w: want <scheme>://<host>/<application id>/<conference id>", ErrMalformedURI)
	}
	authority, app, conf := parts[0], parts[1], parts[2]
	if authority == "" || strings.ContainsAny(authority, "?#") {
		return ConferenceURI{}, fmt.Errorf("%w: bad authority", ErrMalformedURI)
	}
	if !IsUUID(app) {
		return ConferenceURI{}, fmt.Errorf("%w: application id is not a lowercase UUID", ErrMalformedURI)
	}
	if !IsUUID(conf) {
		return ConferenceURI{}, fmt.Errorf("%w: conference id is not a lowercase UUID", ErrMalformedURI)
	}
	origin := scheme + "://" + authority
	if _, err := url.Parse(origin); err != nil {
		return ConferenceURI{}, fmt.Errorf("%w: bad authority", ErrMalformedURI)
	}
	return ConferenceURI{
		Base:          origin + "/" + app + "/" + conf,
		Origin:        origin,
		ApplicationID: app,
		ConferenceID:  conf,
	}, nil
}

// String returns the base URI.
func (u ConferenceURI) String() string { return u.Base }

// URL returns Base joined with a path that starts with "/", such as "/" or
// "/participants/<id>".
func (u ConferenceURI) URL(path string) string { return u.Base + path }

// WebSocketURL returns the notification endpoint of protocol §12.1: the base
// URI with "/" appended and the scheme mapped to ws or wss.
func (u ConferenceURI) WebSocketURL() string {
	switch {
	case strings.HasPrefix(u.Base, "https://"):
		return "wss://" + u.Base[len("https://"):] + "/"
	default:
		return "ws://" + strings.TrimPrefix(u.Base, "http://") + "/"
	}
}

// RecordingURL returns the recording download URL of protocol §1.2 with the
// token query-escaped (quirk Q15 fixed). The result contains the token: never
// log it.
func (u ConferenceURI) RecordingURL(token string) string {
	return u.Base + "/recording?access_token=" + url.QueryEscape(token)
}

// IsUUID reports whether s is a UUID in canonical 8-4-4-4-12 form with
// lowercase hexadecimal digits only.
func IsUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
				return false
			}
		}
	}
	return true
}
