package sfu

import "strings"

// pion v4.2.26 calls RTPTransceiver.Stop when a section that already has a
// transceiver is offered inactive. Stop ends the transceiver's sender and
// receiver for good and leaves its direction inactive: a receive slot that is
// parked and later reused is answered inactive forever (reproduced by
// TestPionQuirkInactiveStopsSection), and a publication depends on pion
// replacing the stopped receiver by chance. Publications and slots flip
// between inactive and active all the time, so the engine never lets pion
// see an inactive media section: pion gets a copy of the offer in which
// positions 1–4 are sendonly and receive slots are recvonly, and the answer
// pion writes is corrected afterwards to carry the directions the client
// asked for (dropping the msid and ssrc lines of inactive sections). The
// forwarder, not pion, decides whether media flows on a section.

// sdpLines splits SDP text into lines without their line ends and reports
// the line end used ("\r\n" unless the text uses bare "\n").
func sdpLines(text string) ([]string, string) {
	eol := "\r\n"
	if !strings.Contains(text, "\r\n") {
		eol = "\n"
	}
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	if n := len(lines); n > 0 && lines[n-1] == "" {
		lines = lines[:n-1]
	}

	return lines, eol
}

func joinLines(lines []string, eol string) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l)
		b.WriteString(eol)
	}

	return b.String()
}

func isDirectionLine(l string) bool {
	switch l {
	case "a=sendrecv", "a=sendonly", "a=recvonly", "a=inactive":
		return true
	}

	return false
}

// rewriteSections calls edit for every media section at position ≥ 1, with
// the section's lines (m= line first); edit returns the new lines.
func rewriteSections(text string, edit func(pos int, lines []string) []string) string {
	lines, eol := sdpLines(text)
	out := make([]string, 0, len(lines)+8)
	pos := -1
	start := -1
	flush := func(end int) {
		if start < 0 {
			return
		}
		section := lines[start:end]
		if pos >= 1 {
			section = edit(pos, append([]string(nil), section...))
		}
		out = append(out, section...)
	}
	for i, l := range lines {
		if strings.HasPrefix(l, "m=") {
			flush(i)
			pos++
			start = i

			continue
		}
		if start < 0 {
			out = append(out, l)
		}
	}
	flush(len(lines))

	return joinLines(out, eol)
}

// setDirection replaces the direction attribute of a section, or adds one
// after its a=mid line.
func setDirection(section []string, dir Direction) []string {
	want := "a=" + dir.String()
	for i, l := range section {
		if isDirectionLine(l) {
			section[i] = want

			return section
		}
	}
	for i, l := range section {
		if strings.HasPrefix(l, "a=mid:") {
			return append(section[:i+1], append([]string{want}, section[i+1:]...)...)
		}
	}

	return append(section, want)
}

// pionOffer returns the copy of an offer that pion applies: no media section
// is inactive (see the comment at the top of this file).
func pionOffer(text string, o *Offer) string {
	return rewriteSections(text, func(pos int, section []string) []string {
		if o.Sections[pos].Kind == "application" {
			return section
		}
		if pos <= 4 {
			return setDirection(section, SendOnly)
		}

		return setDirection(section, RecvOnly)
	})
}

// answerDirection is the direction the answer must carry for a section.
func answerDirection(s *Section) Direction {
	if s.Position <= 4 {
		if s.Direction.sends() {
			return RecvOnly
		}

		return Inactive
	}
	if s.Direction.receives() {
		return SendOnly
	}

	return Inactive
}

// clientAnswer corrects the answer pion produced for the pion copy of the
// offer so that it answers the offer the client sent.
func clientAnswer(text string, o *Offer) string {
	return rewriteSections(text, func(pos int, section []string) []string {
		if pos >= len(o.Sections) || o.Sections[pos].Kind == "application" {
			return section
		}
		dir := answerDirection(&o.Sections[pos])
		section = setDirection(section, dir)
		if dir != Inactive {
			return section
		}
		kept := section[:0]
		for _, l := range section {
			if strings.HasPrefix(l, "a=msid:") || strings.HasPrefix(l, "a=ssrc:") ||
				strings.HasPrefix(l, "a=ssrc-group:") {
				continue
			}
			kept = append(kept, l)
		}

		return kept
	})
}

// checkLayout verifies the m-section layout of protocol §4.6 and that the
// kinds of positions known from earlier offers did not change.
func checkLayout(o *Offer, known []sectionKey) error {
	if o.Sections[0].Kind != "application" {
		return rejected(nil, "position 0 must be the data channel")
	}
	expected := [...]string{"", "audio", "video", "audio", "video"}
	for i := 1; i < len(o.Sections); i++ {
		s := &o.Sections[i]
		if s.Kind == "application" {
			return rejected(nil, "m-section %d: only position 0 may be application", i)
		}
		if i < len(expected) && s.Kind != expected[i] {
			return rejected(nil, "m-section %d must be %s", i, expected[i])
		}
		if i < len(known) && (known[i].kind != s.Kind || known[i].mid != s.Mid) {
			return rejected(nil, "m-section %d changed kind or mid", i)
		}
	}
	if len(o.Sections) < len(known) {
		return rejected(nil, "m-sections were removed")
	}

	return nil
}

// sectionKey identifies what a position held in an applied offer.
type sectionKey struct{ mid, kind string }
