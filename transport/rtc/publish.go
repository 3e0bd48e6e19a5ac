package rtc

import (
	"crypto/rand"
	"errors"
	"fmt"
	"slices"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

// Publication names one of the two outgoing media streams.
type Publication int

// The two publications (protocol §4.6): positions 1–2 and 3–4.
const (
	Primary Publication = iota + 1
	Secondary
)

// String returns "primary" or "secondary".
func (p Publication) String() string {
	switch p {
	case Primary:
		return "primary"
	case Secondary:
		return "secondary"
	}

	return "Publication(" + fmt.Sprint(int(p)) + ")"
}

func (p Publication) valid() bool { return p == Primary || p == Secondary }

// streamID is the msid stream of a sending section (protocol §4.7).
func (p Publication) streamID() string { return "me#" + p.String() }

// publication is what the owner asked to send on one publication.
type publication struct {
	audio webrtc.TrackLocal
	video [len(simulcastRIDs)]webrtc.TrackLocal // by RID index
}

// pubSection is one of the four publication sections (positions 1–4).
type pubSection struct {
	position    int
	which       Publication
	kind        webrtc.RTPCodecType
	relays      []*relayTrack // one for audio; l, m, h for video
	transceiver *webrtc.RTPTransceiver
}

func (s *pubSection) plan() sectionPlan {
	mid := midOf(s.position)
	plan := sectionPlan{mid: mid, direction: dirInactive, stream: "-", track: mid}
	active := false
	var rids []string
	for _, r := range s.relays {
		r.mu.Lock()
		on := r.source != nil
		r.mu.Unlock()
		active = active || on
		if on {
			rids = append(rids, r.rid)
		} else {
			rids = append(rids, "~"+r.rid)
		}
	}
	if active {
		plan.direction = dirSendonly
		plan.stream = s.which.streamID()
		plan.track = s.relays[0].id
	}
	if s.kind == webrtc.RTPCodecTypeVideo {
		plan.simulcast = rids
		if !active {
			// The JS declares an idle video publication this way.
			plan.simulcast = []string{"~" + RIDLow, "~" + RIDMedium, RIDHigh}
		}
	}

	return plan
}

// AddPublications adds the four publication sections (primary audio,
// primary video, secondary audio, secondary video) and then one receive
// slot per subscription made so far, in subscription order (protocol §4.6).
// Call it once the data channel is open, then run a negotiation round.
// Publications set earlier with [Conn.SetPublication] start sending after
// that round. Calling it again does nothing.
func (c *Conn) AddPublications() error {
	c.mu.Lock()
	defer c.mu.Unlock()

	if c.closed.Load() {
		return ErrClosed
	}
	if c.pubsAdded {
		return nil
	}

	for i := range c.pubSections {
		position := i + 1
		which := Primary
		if position > 2 {
			which = Secondary
		}
		kind := webrtc.RTPCodecTypeAudio
		if position%2 == 0 {
			kind = webrtc.RTPCodecTypeVideo
		}
		section, err := c.addPubSection(position, which, kind)
		if err != nil {
			return err
		}
		c.pubSections[i] = section
	}
	c.pubsAdded = true

	for _, which := range []Publication{Primary, Secondary} {
		if err := c.applyPublicationLocked(which); err != nil {
			c.logger.Warn("publication not attached", "publication", which.String(), "err", err)
		}
	}

	pending := c.pending
	c.pending = nil
	for _, rec := range pending {
		if err := c.materialiseLocked(rec); err != nil {
			return err
		}
	}

	return nil
}

func (c *Conn) addPubSection(
	position int, which Publication, kind webrtc.RTPCodecType,
) (*pubSection, error) {
	s := &pubSection{position: position, which: which, kind: kind}
	id := rand.Text()
	rids := []string{""}
	if kind == webrtc.RTPCodecTypeVideo {
		rids = simulcastRIDs[:]
	}
	for _, rid := range rids {
		s.relays = append(s.relays, &relayTrack{
			id: id, streamID: which.streamID(), rid: rid, mid: midOf(position),
			kind: kind, logger: c.logger,
		})
	}

	t, err := c.pc.AddTransceiverFromTrack(s.relays[0],
		webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		return nil, fmt.Errorf("%w: add publication section %d: %w", ErrNegotiation, position, err)
	}
	if err := t.SetMid(midOf(position)); err != nil {
		return nil, fmt.Errorf("%w: set mid %d: %w", ErrNegotiation, position, err)
	}
	sender := t.Sender()
	for _, r := range s.relays[1:] {
		if err := sender.AddEncoding(r); err != nil {
			return nil, fmt.Errorf("%w: add encoding %s: %w", ErrNegotiation, r.rid, err)
		}
	}
	s.transceiver = t

	for _, r := range s.relays {
		c.readers.Add(1)
		go c.readRTCP(sender, which, r.rid, len(s.relays) > 1)
	}

	return s, nil
}

// readRTCP drains the RTCP of one encoding, which pion's interceptors
// (NACK, reports) need, and reports keyframe requests. It ends when the
// sender stops.
func (c *Conn) readRTCP(sender *webrtc.RTPSender, which Publication, rid string, simulcast bool) {
	defer c.readers.Done()

	buf := make([]byte, 1500)
	for {
		var (
			n   int
			err error
		)
		if simulcast {
			n, _, err = sender.ReadSimulcast(buf, rid)
		} else {
			n, _, err = sender.Read(buf)
		}
		if err != nil {
			return // the sender stopped
		}
		packets, err := rtcp.Unmarshal(buf[:n])
		if err != nil {
			continue
		}
		for _, p := range packets {
			switch p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				c.dispatch(func() {
					if c.h.OnKeyframeRequest != nil {
						c.h.OnKeyframeRequest(which, rid)
					}
				})
			}
		}
	}
}

// SetPublication sets what a publication sends: an audio track and up to
// three video layers. Nil audio and no video layers make the publication
// idle: its sections are offered inactive. Removed tracks stop sending at
// once; added ones start once the answer to the next offer (which declares
// them) is applied, so the server never gets media it was not offered. Video layers are encodings l, m,
// h, lowest first: a layer whose RID() is "l", "m" or "h" takes that slot,
// a layer without RID takes the slot of its index. Every offer declares all
// three RIDs and marks the missing ones paused.
//
// The connection does not encode anything: each track must produce RTP in
// a codec the answer accepted (the layers of a simulcast set are scaled
// copies of one source, see [SimulcastPlan]). A track that cannot bind to
// the negotiated codecs is reported here when its encoding already sends,
// else logged when the answer is applied.
func (c *Conn) SetPublication(
	which Publication, audio webrtc.TrackLocal, videoLayers []webrtc.TrackLocal,
) error {
	if !which.valid() {
		return fmt.Errorf("%w: publication %d", ErrInvalidArgument, int(which))
	}
	pub, err := newPublication(audio, videoLayers)
	if err != nil {
		return err
	}

	c.mu.Lock()
	defer c.mu.Unlock()

	if c.closed.Load() {
		return ErrClosed
	}
	c.pubs[which-1] = pub
	if !c.pubsAdded {
		return nil
	}

	return c.applyPublicationLocked(which)
}

func newPublication(audio webrtc.TrackLocal, videoLayers []webrtc.TrackLocal) (publication, error) {
	var pub publication
	if audio != nil && audio.Kind() != webrtc.RTPCodecTypeAudio {
		return pub, fmt.Errorf("%w: audio track of kind %s", ErrInvalidTrack, audio.Kind())
	}
	pub.audio = audio
	if len(videoLayers) > len(simulcastRIDs) {
		return pub, fmt.Errorf("%w: %d video layers, at most %d", ErrInvalidTrack,
			len(videoLayers), len(simulcastRIDs))
	}
	for i, track := range videoLayers {
		if track == nil {
			return pub, fmt.Errorf("%w: video layer %d is nil", ErrInvalidTrack, i)
		}
		if track.Kind() != webrtc.RTPCodecTypeVideo {
			return pub, fmt.Errorf("%w: video layer %d of kind %s", ErrInvalidTrack, i, track.Kind())
		}
		index := i
		if rid := track.RID(); rid != "" {
			index = slices.Index(simulcastRIDs[:], rid)
			if index < 0 {
				return pub, fmt.Errorf("%w: video layer RID %q, want l, m or h", ErrInvalidTrack, rid)
			}
		}
		if pub.video[index] != nil {
			return pub, fmt.Errorf("%w: two video layers for RID %s",
				ErrInvalidTrack, simulcastRIDs[index])
		}
		pub.video[index] = track
	}

	return pub, nil
}

// applyPublicationLocked attaches the publication's tracks to its sections.
func (c *Conn) applyPublicationLocked(which Publication) error {
	pub := c.pubs[which-1]
	audioSection := c.pubSections[2*(int(which)-1)]
	videoSection := c.pubSections[2*(int(which)-1)+1]

	errs := []error{audioSection.relays[0].setSource(pub.audio)}
	for i, r := range videoSection.relays {
		errs = append(errs, r.setSource(pub.video[i]))
	}

	return errors.Join(errs...)
}

// Encoding is one sent RTP stream of a publication section.
type Encoding struct {
	Kind webrtc.RTPCodecType
	// RID is "l", "m" or "h" for video, "" for audio.
	RID  string
	SSRC webrtc.SSRC
	// Active tells whether an application track is attached.
	Active bool
}

// PublicationEncodings lists the encodings of a publication's sections,
// audio first, then video l, m, h; nil before [Conn.AddPublications]. The
// SSRCs stay the same for the life of the connection.
func (c *Conn) PublicationEncodings(which Publication) []Encoding {
	if !which.valid() {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()

	if !c.pubsAdded {
		return nil
	}
	var out []Encoding
	for _, s := range c.pubSections[2*(int(which)-1) : 2*int(which)] {
		params := s.transceiver.Sender().GetParameters()
		for i, r := range s.relays {
			r.mu.Lock()
			active := r.source != nil
			r.mu.Unlock()
			e := Encoding{Kind: s.kind, RID: r.rid, Active: active}
			if i < len(params.Encodings) {
				e.SSRC = params.Encodings[i].SSRC
			}
			out = append(out, e)
		}
	}

	return out
}
