package sfu

import (
	"context"
	"errors"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/mindsdk/mindgo/transport"
)

// peer is one participant of a room.
type peer struct {
	id   string
	room *Room

	offerMu sync.Mutex // serialises offers

	mu    sync.Mutex
	conn  *conn
	flags [2]transport.MediaFlags // last reported: primary, secondary
	gone  bool
}

func (p *peer) current() *conn {
	p.mu.Lock()
	defer p.mu.Unlock()

	return p.conn
}

// conn is one client PeerConnection of a participant.
type conn struct {
	p         *peer
	pc        *webrtc.PeerConnection
	dc        *webrtc.DataChannel
	sessionID string
	ufrag     string
	dead      atomic.Bool
	reported  atomic.Bool

	known []sectionKey // guarded by p.offerMu

	mu       sync.Mutex
	midPos   map[string]int
	slots    map[string]*slot
	closeOne sync.Once
}

// slot is a receive slot (position ≥ 5) with the server's track.
type slot struct {
	reading bool // guarded by conn.mu
	mid     string
	track   *downTrack
	sender  *webrtc.RTPSender
}

func (p *peer) offer(ctx context.Context, o *Offer, text string) (string, error) {
	p.offerMu.Lock()
	defer p.offerMu.Unlock()
	if err := ctx.Err(); err != nil {
		return "", err
	}
	p.mu.Lock()
	if p.gone {
		p.mu.Unlock()

		return "", ErrClosed
	}
	c := p.conn
	p.mu.Unlock()

	// pion's SDP reader is stricter than ParseOffer in places; what it
	// cannot read is a malformed offer, found before any state changes.
	var parsed sdp.SessionDescription
	if err := parsed.UnmarshalString(pionOffer(text, o)); err != nil {
		return "", &OfferError{Kind: ErrMalformedOffer, Reason: "not valid SDP", Err: err}
	}

	fresh := c == nil || c.dead.Load() || c.sessionID != o.SessionID || c.ufrag != o.ICEUfrag
	var known []sectionKey
	if !fresh {
		known = c.known
	}
	if err := checkLayout(o, known); err != nil {
		return "", err
	}
	if fresh {
		nc, err := p.newConn(o)
		if err != nil {
			return "", err
		}
		p.mu.Lock()
		if p.gone { // closed while the connection was being made
			p.mu.Unlock()
			nc.close()

			return "", ErrClosed
		}
		old := p.conn
		p.conn = nc
		p.mu.Unlock()
		if old != nil {
			old.close()
		}
		c = nc
	}

	answer, err := c.apply(ctx, o, text)
	if err != nil {
		if fresh {
			p.mu.Lock()
			if p.conn == c {
				p.conn = nil
			}
			p.mu.Unlock()
			c.close()
		}

		return "", err
	}
	p.updateFlags(c, o)

	return answer, nil
}

// updateFlags derives the media flags from positions 1–4 and reports a
// change.
func (p *peer) updateFlags(c *conn, o *Offer) {
	var f [2]transport.MediaFlags
	sends := func(pos int) bool { return pos < len(o.Sections) && o.Sections[pos].Direction.sends() }
	f[0] = transport.MediaFlags{Audio: sends(1), Video: sends(2)}
	f[1] = transport.MediaFlags{Audio: sends(3), Video: sends(4)}
	r := p.room
	r.setPublishing(p.id, Audio, f[0].Audio)
	r.setPublishing(p.id, Video, f[0].Video)

	p.mu.Lock()
	changed := f != p.flags
	p.flags = f
	p.mu.Unlock()
	if !changed {
		return
	}
	r.post(func() {
		if p.current() != c {
			return
		}
		r.events.MediaFlags(p.id, f[0], f[1])
	})
	r.Reselect()
}

func (p *peer) newConn(o *Offer) (*conn, error) {
	r := p.room
	pc, err := r.e.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, rejected(err, "cannot create a peer connection")
	}
	negotiated, id, ordered := true, uint16(1), true
	dc, err := pc.CreateDataChannel("", &webrtc.DataChannelInit{Negotiated: &negotiated, ID: &id, Ordered: &ordered})
	if err != nil {
		_ = pc.Close()

		return nil, rejected(err, "cannot create the data channel")
	}
	c := &conn{
		p: p, pc: pc, dc: dc,
		sessionID: o.SessionID, ufrag: o.ICEUfrag,
		slots:  make(map[string]*slot),
		midPos: make(map[string]int),
	}
	dc.OnOpen(func() {
		r.post(func() {
			if p.current() == c && !c.dead.Load() {
				r.events.DataChannelOpen(p.id)
			}
		})
	})
	dc.OnClose(c.reportClosed)
	dc.OnMessage(func(msg webrtc.DataChannelMessage) {
		if !msg.IsString {
			return
		}
		d, ok := ParseDistortion(string(msg.Data))
		if !ok {
			return
		}
		r.post(func() {
			if p.current() == c {
				r.events.DistortionReport(p.id, d)
			}
		})
	})
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateFailed || s == webrtc.PeerConnectionStateClosed {
			c.reportClosed()
			c.close()
		}
	})
	pc.OnTrack(c.onTrack)

	// A new client connection publishes nothing until it says so.
	p.mu.Lock()
	reset := p.flags != [2]transport.MediaFlags{}
	p.flags = [2]transport.MediaFlags{}
	p.mu.Unlock()
	if reset {
		r.setPublishing(p.id, Audio, false)
		r.setPublishing(p.id, Video, false)
		r.post(func() {
			if p.current() == c {
				r.events.MediaFlags(p.id, transport.MediaFlags{}, transport.MediaFlags{})
			}
		})
	}

	return c, nil
}

// reportClosed reports the end of c once, if c is still the participant's
// current connection when the event is delivered.
func (c *conn) reportClosed() {
	if c.reported.Swap(true) {
		return
	}
	c.dead.Store(true)
	p, r := c.p, c.p.room
	r.post(func() {
		if p.current() != c {
			return
		}
		p.mu.Lock()
		p.flags = [2]transport.MediaFlags{}
		p.mu.Unlock()
		r.setPublishing(p.id, Audio, false)
		r.setPublishing(p.id, Video, false)
		r.events.DataChannelClosed(p.id)
		r.resolveConference()
	})
}

// close closes the PeerConnection on a tracked goroutine.
func (c *conn) close() {
	c.closeOne.Do(func() {
		c.dead.Store(true)
		c.mu.Lock()
		slots := make([]*slot, 0, len(c.slots))
		for _, sl := range c.slots {
			slots = append(slots, sl)
		}
		c.mu.Unlock()
		for _, sl := range slots {
			c.p.room.unregisterConference(sl.track)
			sl.track.bind(nil, "", Limits{})
		}
		if !c.p.room.e.goTracked(func() { _ = c.pc.Close() }) {
			_ = c.pc.Close()
		}
	})
}

// apply runs one offer/answer round on the connection.
func (c *conn) apply(ctx context.Context, o *Offer, text string) (string, error) {
	pc := c.pc
	copyText := pionOffer(text, o)
	err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: copyText})
	if err != nil {
		return "", rejected(err, "cannot apply the offer")
	}
	c.mu.Lock()
	for _, s := range o.Sections {
		c.midPos[s.Mid] = s.Position
	}
	c.mu.Unlock()

	for i := 5; i < len(o.Sections); i++ {
		if err := c.ensureSlot(&o.Sections[i]); err != nil {
			return "", err
		}
	}

	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return "", rejected(err, "cannot create the answer")
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(answer); err != nil {
		return "", rejected(err, "cannot apply the answer")
	}
	c.startSlotReaders()
	select {
	case <-gathered:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	local := pc.LocalDescription()
	if local == nil {
		return "", rejected(nil, "no local description")
	}

	known := make([]sectionKey, len(o.Sections))
	for i, s := range o.Sections {
		known[i] = sectionKey{mid: s.Mid, kind: s.Kind}
	}
	c.known = known
	pts := answerPayloadTypes(local.SDP)
	for i := 5; i < len(o.Sections); i++ {
		c.bindSlot(&o.Sections[i], pts[o.Sections[i].Mid])
	}

	return clientAnswer(local.SDP, o), nil
}

func (c *conn) transceiver(mid string) *webrtc.RTPTransceiver {
	for _, t := range c.pc.GetTransceivers() {
		if t.Mid() == mid {
			return t
		}
	}

	return nil
}

// ensureSlot gives the transceiver of a receive slot the server's track, on
// first use; the track stays for the life of the slot.
func (c *conn) ensureSlot(s *Section) error {
	c.mu.Lock()
	_, ok := c.slots[s.Mid]
	c.mu.Unlock()
	if ok {
		return nil
	}
	tr := c.transceiver(s.Mid)
	if tr == nil {
		return rejected(nil, "m-section %d has no transceiver", s.Position)
	}
	kind := webrtc.NewRTPCodecType(s.Kind)
	d := &downTrack{
		id:       randomID(8),
		streamID: "mindtest-" + s.Mid,
		kind:     kind,
		receiver: c.p.id,
	}
	sender, err := c.p.room.e.api.NewRTPSender(d, c.pc.SCTP().Transport())
	if err != nil {
		return rejected(err, "cannot create a sender for m-section %d", s.Position)
	}
	if err := tr.SetSender(sender, d); err != nil {
		return rejected(err, "cannot attach a sender to m-section %d", s.Position)
	}
	c.mu.Lock()
	c.slots[s.Mid] = &slot{mid: s.Mid, track: d, sender: sender}
	c.mu.Unlock()

	return nil
}

// startSlotReaders starts the RTCP reader of every new slot. It runs after
// SetLocalDescription, which started the senders: pion's RTPSender read
// deadline is not safe to touch before then.
func (c *conn) startSlotReaders() {
	c.mu.Lock()
	var fresh []*slot
	for _, sl := range c.slots {
		if !sl.reading {
			sl.reading = true
			fresh = append(fresh, sl)
		}
	}
	c.mu.Unlock()
	for _, sl := range fresh {
		c.p.room.e.goTracked(func() { readSenderRTCP(sl.sender, sl.track, func() bool { return !c.dead.Load() }) })
	}
}

// readSenderRTCP serves a slot's RTCP: PLI and FIR go to the publisher.
// Reads carry a deadline, like the layers' (pion does not always close a
// sender's RTCP stream), and the loop ends once the connection is gone.
func readSenderRTCP(sender *webrtc.RTPSender, d *downTrack, alive func() bool) {
	buf := make([]byte, 1500)
	for {
		_ = sender.SetReadDeadline(time.Now().Add(readWatch))
		n, _, err := sender.Read(buf)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) && alive() {
				continue
			}

			return
		}
		pkts, err := rtcp.Unmarshal(buf[:n])
		if err != nil {
			continue
		}
		for _, pkt := range pkts {
			switch pkt.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				d.keyframeRequested()
			}
		}
	}
}

// bindSlot (re)binds a receive slot to the stream its offer names.
func (c *conn) bindSlot(s *Section, pts map[string]uint8) {
	c.mu.Lock()
	sl := c.slots[s.Mid]
	c.mu.Unlock()
	if sl == nil || c.dead.Load() {
		return
	}
	r := c.p.room
	d := sl.track
	d.setPayloadTypes(pts)
	if !s.Direction.receives() {
		r.unregisterConference(d)
		d.bind(nil, "", Limits{})

		return
	}
	label := s.StreamLabel
	switch {
	case label == conferenceLabel:
		d.mu.Lock()
		d.label, d.limits = label, s.Limits()
		d.mu.Unlock()
		r.registerConference(d)
		r.Reselect()

		return
	case isParticipantLabel(label):
		r.unregisterConference(d)
		d.bind(r.source(sourceKey{label: label, kind: d.kind}), label, s.Limits())
	default:
		r.unregisterConference(d)
		d.bind(nil, label, s.Limits())
	}
	r.post(d.reselect)
}

func (r *Room) registerConference(d *downTrack) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.confSinks[d] = struct{}{}
}

func (r *Room) unregisterConference(d *downTrack) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.confSinks, d)
}

// isParticipantLabel reports whether label is "<id>#primary" or
// "<id>#secondary".
func isParticipantLabel(label string) bool {
	for _, suffix := range []string{"#primary", "#secondary"} {
		if len(label) > len(suffix) && label[len(label)-len(suffix):] == suffix {
			return true
		}
	}

	return false
}

// onTrack starts forwarding an inbound track of a publication.
func (c *conn) onTrack(track *webrtc.TrackRemote, receiver *webrtc.RTPReceiver) {
	mid := ""
	for _, t := range c.pc.GetTransceivers() {
		if t.Receiver() == receiver {
			mid = t.Mid()

			break
		}
	}
	c.mu.Lock()
	pos, ok := c.midPos[mid]
	c.mu.Unlock()
	if !ok {
		pos, _ = strconv.Atoi(mid)
	}
	var label string
	switch pos {
	case 1, 2:
		label = c.p.id + "#primary"
	case 3, 4:
		label = c.p.id + "#secondary"
	default:
		return
	}
	r := c.p.room
	src := r.source(sourceKey{label: label, kind: track.Kind()})
	l := newLayer(src, track, c.pc, func() bool { return !c.dead.Load() })
	src.addLayer(l)
	if !r.e.goTracked(l.readLoop) {
		src.removeLayer(l)

		return
	}
	r.e.goTracked(func() { l.drainRTCP(receiver) })
	r.post(func() {
		if sinks := src.sinks.Load(); sinks != nil {
			for _, d := range *sinks {
				d.reselect()
			}
		}
	})
}

// shutdown closes the participant's connection without reporting it.
func (p *peer) shutdown() {
	p.mu.Lock()
	c := p.conn
	p.conn = nil
	p.gone = true
	p.mu.Unlock()
	if c != nil {
		c.close()
	}
}
