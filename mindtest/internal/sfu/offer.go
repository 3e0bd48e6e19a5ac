package sfu

import (
	"math"
	"strconv"
	"strings"
)

// Direction is the media direction of an m-section as the offerer wrote it.
type Direction int

// Directions of RFC 8866. The zero value is sendrecv, the default when a
// section carries no direction attribute.
const (
	SendRecv Direction = iota
	SendOnly
	RecvOnly
	Inactive
)

// String returns the SDP attribute name of d.
func (d Direction) String() string {
	switch d {
	case SendOnly:
		return "sendonly"
	case RecvOnly:
		return "recvonly"
	case Inactive:
		return "inactive"
	default:
		return "sendrecv"
	}
}

// sends reports whether the offerer sends media in this direction.
func (d Direction) sends() bool { return d == SendOnly || d == SendRecv }

// receives reports whether the offerer wants to receive media.
func (d Direction) receives() bool { return d == RecvOnly || d == SendRecv }

func parseDirection(s string) (Direction, bool) {
	switch s {
	case "sendrecv":
		return SendRecv, true
	case "sendonly":
		return SendOnly, true
	case "recvonly":
		return RecvOnly, true
	case "inactive":
		return Inactive, true
	}

	return SendRecv, false
}

// Offer is what the server needs to know of a client's offer.
type Offer struct {
	// SessionID is the sess-id field of the o= line. A change means a new
	// client PeerConnection.
	SessionID string
	// ICEUfrag is the ICE username fragment (session level, or the first
	// media section's). A change also means a new client PeerConnection.
	ICEUfrag string
	// Sections lists the m-sections in order; Sections[i].Position == i.
	Sections []Section
}

// Section is one m-section of an offer.
type Section struct {
	// Position is the 0-based ordinal of the m-line.
	Position int
	// Mid is the a=mid value.
	Mid string
	// Kind is the media of the m-line: "application", "audio" or "video".
	Kind string
	// Direction is the offered direction.
	Direction Direction
	// StreamLabel and TrackID come from the a=msid line ("-" when the
	// section carries no stream). a=ssrc msid lines are ignored.
	StreamLabel string
	TrackID     string
	// MaxBitrate is b=TIAS in bits/s, 0 when absent.
	MaxBitrate uint64
	// MaxFrameArea and MaxFrameRate come from a=x-preferences; 0 means
	// unlimited.
	MaxFrameArea uint64
	MaxFrameRate float64
	// RIDs lists the a=rid lines in order.
	RIDs []RID
	// Simulcast lists the rids of a=simulcast (send or recv side, the one
	// present), paused ones included.
	Simulcast []RID
}

// RID is a simulcast stream of a section.
type RID struct {
	// ID is the rid, without a leading "~".
	ID string
	// Send is true for "send" rids (and for the send side of a=simulcast).
	Send bool
	// Paused is true when a=simulcast marked the rid with "~".
	Paused bool
}

// Limits returns the receive limits of a section.
func (s *Section) Limits() Limits {
	return Limits{MaxBitrate: s.MaxBitrate, MaxFrameArea: s.MaxFrameArea, MaxFrameRate: s.MaxFrameRate}
}

// Limits are the receive limits of a receive slot.
type Limits struct {
	// MaxBitrate in bits/s; 0 is unlimited.
	MaxBitrate uint64
	// MaxFrameArea in pixels (width×height); 0 is unlimited.
	MaxFrameArea uint64
	// MaxFrameRate in frames/s; 0 is unlimited.
	MaxFrameRate float64
}

// ParseOffer reads the parts of an SDP offer the server acts on. It accepts
// CRLF or LF line ends, b= lines before or after a= lines, "~" on any rid,
// and unknown attributes. It returns an *[OfferError] wrapping
// [ErrMalformedOffer] when the text is not a usable offer.
func ParseOffer(sdp string) (*Offer, error) {
	p := offerParser{offer: &Offer{}}
	if sdp == "" {
		return nil, malformed(0, "empty offer")
	}
	lines := strings.Split(sdp, "\n")
	for i, raw := range lines {
		line := strings.TrimSuffix(raw, "\r")
		if line == "" {
			continue
		}
		if err := p.line(i+1, line); err != nil {
			return nil, err
		}
	}

	return p.finish()
}

type offerParser struct {
	offer      *Offer
	sawVersion bool
	sawOrigin  bool
	cur        *Section
	sessionDir Direction
	dirSet     []bool
	ufrags     []string
}

func (p *offerParser) line(n int, line string) error {
	if len(line) < 2 || line[1] != '=' || line[0] < 'a' || line[0] > 'z' {
		return malformed(n, "not a <type>=<value> line")
	}
	value := line[2:]
	if !p.sawVersion {
		if line != "v=0" {
			return malformed(n, "offer must start with v=0")
		}
		p.sawVersion = true

		return nil
	}

	switch line[0] {
	case 'o':
		return p.origin(n, value)
	case 'm':
		return p.media(n, value)
	case 'b':
		return p.bandwidth(n, value)
	case 'a':
		return p.attribute(n, value)
	}

	return nil
}

func (p *offerParser) origin(n int, value string) error {
	if p.cur != nil || p.sawOrigin {
		return malformed(n, "unexpected o= line")
	}
	fields := strings.Fields(value)
	if len(fields) != 6 {
		return malformed(n, "o= line needs 6 fields")
	}
	p.offer.SessionID = fields[1]
	p.sawOrigin = true

	return nil
}

func (p *offerParser) media(n int, value string) error {
	fields := strings.Fields(value)
	if len(fields) < 4 {
		return malformed(n, "m= line needs at least 4 fields")
	}
	switch fields[0] {
	case "audio", "video", "application":
	default:
		return malformed(n, "unsupported media %q", truncate(fields[0]))
	}
	p.offer.Sections = append(p.offer.Sections, Section{
		Position:    len(p.offer.Sections),
		Kind:        fields[0],
		Direction:   p.sessionDir,
		StreamLabel: "-",
	})
	p.cur = &p.offer.Sections[len(p.offer.Sections)-1]
	p.dirSet = append(p.dirSet, false)
	p.ufrags = append(p.ufrags, "")

	return nil
}

func (p *offerParser) bandwidth(n int, value string) error {
	kind, v, ok := strings.Cut(value, ":")
	if !ok {
		return malformed(n, "b= line without ':'")
	}
	if kind != "TIAS" || p.cur == nil {
		return nil
	}
	rate, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
	if err != nil {
		return malformed(n, "b=TIAS is not a non-negative integer")
	}
	p.cur.MaxBitrate = rate

	return nil
}

func (p *offerParser) attribute(n int, value string) error {
	name, v, _ := strings.Cut(value, ":")
	if dir, ok := parseDirection(name); ok {
		if p.cur == nil {
			p.sessionDir = dir
		} else {
			p.cur.Direction = dir
			p.dirSet[p.cur.Position] = true
		}

		return nil
	}

	if name == "ice-ufrag" {
		if p.cur == nil {
			p.offer.ICEUfrag = v
		} else {
			p.ufrags[p.cur.Position] = v
		}

		return nil
	}
	if p.cur == nil {
		return nil
	}

	switch name {
	case "mid":
		if v == "" {
			return malformed(n, "empty a=mid")
		}
		p.cur.Mid = v
	case "msid":
		return p.msid(n, v)
	case "x-preferences":
		return p.preferences(n, v)
	case "rid":
		return p.rid(n, v)
	case "simulcast":
		return p.simulcast(n, v)
	}

	return nil
}

func (p *offerParser) msid(n int, v string) error {
	fields := strings.Fields(v)
	if len(fields) == 0 || len(fields) > 2 {
		return malformed(n, "a=msid needs a stream id and an optional track id")
	}
	p.cur.StreamLabel = fields[0]
	p.cur.TrackID = ""
	if len(fields) == 2 {
		p.cur.TrackID = fields[1]
	}

	return nil
}

func (p *offerParser) preferences(n int, v string) error {
	areaText, rateText, ok := strings.Cut(strings.TrimSpace(v), "@")
	if !ok {
		return malformed(n, "a=x-preferences needs <area>@<rate>")
	}
	area, err := strconv.ParseUint(areaText, 10, 64)
	if err != nil {
		return malformed(n, "a=x-preferences area is not a non-negative integer")
	}
	rate, err := strconv.ParseFloat(rateText, 64)
	if err != nil || rate < 0 || math.IsInf(rate, 0) || math.IsNaN(rate) {
		return malformed(n, "a=x-preferences rate is not a non-negative number")
	}
	p.cur.MaxFrameArea = area
	p.cur.MaxFrameRate = rate

	return nil
}

func (p *offerParser) rid(n int, v string) error {
	fields := strings.Fields(v)
	if len(fields) < 2 || (fields[1] != "send" && fields[1] != "recv") {
		return malformed(n, "a=rid needs <id> send|recv")
	}
	id := strings.TrimPrefix(fields[0], "~")
	if id == "" {
		return malformed(n, "a=rid with an empty id")
	}
	p.cur.RIDs = append(p.cur.RIDs, RID{ID: id, Send: fields[1] == "send"})

	return nil
}

func (p *offerParser) simulcast(n int, v string) error {
	fields := strings.Fields(v)
	if len(fields) == 0 || len(fields)%2 != 0 {
		return malformed(n, "a=simulcast needs send|recv <rid list> pairs")
	}
	for i := 0; i < len(fields); i += 2 {
		if fields[i] != "send" && fields[i] != "recv" {
			return malformed(n, "a=simulcast direction must be send or recv")
		}
		send := fields[i] == "send"
		for _, alt := range strings.FieldsFunc(fields[i+1], func(r rune) bool { return r == ';' || r == ',' }) {
			id, paused := strings.CutPrefix(alt, "~")
			if id == "" {
				return malformed(n, "a=simulcast with an empty rid")
			}
			p.cur.Simulcast = append(p.cur.Simulcast, RID{ID: id, Send: send, Paused: paused})
		}
	}

	return nil
}

func (p *offerParser) finish() (*Offer, error) {
	o := p.offer
	if !p.sawVersion {
		return nil, malformed(0, "empty offer")
	}
	if !p.sawOrigin {
		return nil, malformed(0, "no o= line")
	}
	if len(o.Sections) == 0 {
		return nil, malformed(0, "no m= section")
	}
	seen := make(map[string]bool, len(o.Sections))
	for i := range o.Sections {
		s := &o.Sections[i]
		if s.Mid == "" {
			return nil, malformed(0, "m-section %d has no a=mid", i)
		}
		if seen[s.Mid] {
			return nil, malformed(0, "m-section %d repeats mid %q", i, truncate(s.Mid))
		}
		seen[s.Mid] = true
		if !p.dirSet[i] {
			s.Direction = p.sessionDir
		}
		if o.ICEUfrag == "" && p.ufrags[i] != "" {
			o.ICEUfrag = p.ufrags[i]
		}
	}
	if o.ICEUfrag == "" {
		return nil, malformed(0, "no a=ice-ufrag")
	}

	return o, nil
}

// truncate shortens client-supplied text quoted in an error.
func truncate(s string) string {
	const maxLen = 32
	if len(s) > maxLen {
		return s[:maxLen] + "…"
	}

	return s
}
