package sfu

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/mindsdk/mindgo/transport"
)

// Events receives what a room learns about its participants. A room calls
// these methods from its own goroutine, one at a time and in the order the
// events happened, never from inside pion. They may call any method of the
// room (Room.Close included) but not [Engine.Close], which waits for that
// goroutine; a slow method delays later events of the same room only.
type Events interface {
	// DataChannelOpen reports that the data channel of the participant's
	// current connection opened.
	DataChannelOpen(participantID string)
	// DataChannelClosed reports that the participant's current connection
	// ended: its data channel closed, or the PeerConnection failed or
	// closed (also after [Room.Drop]). Connections replaced by a newer one
	// or closed by [Room.Close] and [Room.CloseAfter] report nothing.
	DataChannelClosed(participantID string)
	// MediaFlags reports the participant's publications whenever they
	// change: primary is positions 1 (audio) and 2 (video), secondary 3 and
	// 4. A new connection starts with all flags false.
	MediaFlags(participantID string, primary, secondary transport.MediaFlags)
	// DistortionReport reports a distortion message received on the data
	// channel.
	DistortionReport(participantID string, d Distortion)
}

// Distortion is a client's media-quality report, protocol §4.3.
type Distortion struct {
	// MTID is the media track ID: "<stream label>#audio" or "#video".
	MTID string
	// Start is when the distortion began.
	Start time.Time
	// Duration is how long it lasted, in whole seconds.
	Duration time.Duration
	// Text is the message as received.
	Text string
}

// ParseDistortion parses "1:<mtid>:<startMs>:<durationS>". The mtid itself
// contains no colon.
func ParseDistortion(text string) (Distortion, bool) {
	parts := strings.Split(text, ":")
	if len(parts) != 4 || parts[0] != "1" || parts[1] == "" {
		return Distortion{}, false
	}
	if !strings.HasSuffix(parts[1], "#audio") && !strings.HasSuffix(parts[1], "#video") {
		return Distortion{}, false
	}
	start, ok := parseUint(parts[2])
	if !ok {
		return Distortion{}, false
	}
	dur, ok := parseUint(parts[3])
	if !ok || dur > 1<<31 {
		return Distortion{}, false
	}

	return Distortion{
		MTID:     parts[1],
		Start:    time.UnixMilli(int64(start)),
		Duration: time.Duration(dur) * time.Second,
		Text:     text,
	}, true
}

func parseUint(s string) (uint64, bool) {
	if s == "" || len(s) > 15 {
		return 0, false
	}
	var v uint64
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}

	return v, true
}

// Kind is a media kind.
type Kind int

// Media kinds.
const (
	Audio Kind = iota
	Video
)

// String returns "audio" or "video".
func (k Kind) String() string {
	if k == Video {
		return "video"
	}

	return "audio"
}

// Selector chooses whose primary media the "conference" stream carries for
// one receiver and kind. publishers lists the participants that currently
// publish primary media of that kind, in the order they started. It returns
// a participant ID, or "" for nothing. It runs on the room's goroutine and
// must not block; when its answer would change (roles, priorities), call
// [Room.Reselect].
type Selector func(receiver string, kind Kind, publishers []string) string

// DefaultSelector picks the first publisher, skipping the receiver itself
// for audio so nobody hears their own voice.
func DefaultSelector(receiver string, kind Kind, publishers []string) string {
	for _, p := range publishers {
		if kind == Audio && p == receiver {
			continue
		}

		return p
	}

	return ""
}

// RoomConfig configures a [Room].
type RoomConfig struct {
	// Events receives the room's events; nil discards them.
	Events Events
	// Select chooses the source of the "conference" stream; nil means
	// [DefaultSelector].
	Select Selector
}

// Room is the media of one conference: a PeerConnection per participant
// and the forwarding between them.
type Room struct {
	e      *Engine
	events Events
	sel    Selector
	done   chan struct{}
	wake   chan struct{}

	mu        sync.Mutex
	closed    bool
	peers     map[string]*peer
	sources   map[sourceKey]*source
	confSinks map[*downTrack]struct{}
	// confCodec is the codec (lower-case MIME) each "conference" slot is
	// bound to since it first carried a source; used by resolveConference.
	confCodec map[*downTrack]string
	pubOrder  [2][]string // publishers of primary audio/video, by start
	queue     []func()
	timers    map[*time.Timer]struct{}
}

func newRoom(e *Engine, cfg RoomConfig) *Room {
	sel := cfg.Select
	if sel == nil {
		sel = DefaultSelector
	}
	ev := cfg.Events
	if ev == nil {
		ev = nopEvents{}
	}

	return &Room{
		e:         e,
		events:    ev,
		sel:       sel,
		done:      make(chan struct{}),
		wake:      make(chan struct{}, 1),
		peers:     make(map[string]*peer),
		sources:   make(map[sourceKey]*source),
		confSinks: make(map[*downTrack]struct{}),
		confCodec: make(map[*downTrack]string),
		timers:    make(map[*time.Timer]struct{}),
	}
}

type nopEvents struct{}

func (nopEvents) DataChannelOpen(string)                                        {}
func (nopEvents) DataChannelClosed(string)                                      {}
func (nopEvents) MediaFlags(string, transport.MediaFlags, transport.MediaFlags) {}
func (nopEvents) DistortionReport(string, Distortion)                           {}

// post queues f to run on the room's goroutine.
func (r *Room) post(f func()) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()

		return
	}
	r.queue = append(r.queue, f)
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// run is the room's goroutine: it delivers events and, on every tick,
// measures layers and re-chooses what each receive slot forwards.
func (r *Room) run() {
	ticker := time.NewTicker(r.e.tick)
	defer ticker.Stop()
	for {
		select {
		case <-r.done:
			return
		case <-r.wake:
			r.mu.Lock()
			q := r.queue
			r.queue = nil
			r.mu.Unlock()
			for _, f := range q {
				select {
				case <-r.done:
					return
				default:
				}
				f()
			}
		case now := <-ticker.C:
			r.evaluate(now)
		}
	}
}

// evaluate refreshes layer statistics, the conference selection and the
// layer of every bound slot.
func (r *Room) evaluate(now time.Time) {
	r.mu.Lock()
	sources := make([]*source, 0, len(r.sources))
	for _, s := range r.sources {
		sources = append(sources, s)
	}
	r.mu.Unlock()
	for _, s := range sources {
		for _, l := range s.snapshotLayers() {
			l.updateStats(now)
		}
	}
	r.resolveConference()
	for _, s := range sources {
		if sinks := s.sinks.Load(); sinks != nil {
			for _, d := range *sinks {
				d.reselect()
			}
		}
	}
}

// resolveConference binds every "conference" slot to the source its
// selector picks.
func (r *Room) resolveConference() {
	r.mu.Lock()
	sinks := make([]*downTrack, 0, len(r.confSinks))
	for d := range r.confSinks {
		sinks = append(sinks, d)
	}
	pubs := [2][]string{slices.Clone(r.pubOrder[0]), slices.Clone(r.pubOrder[1])}
	for d := range r.confCodec {
		if _, ok := r.confSinks[d]; !ok {
			delete(r.confCodec, d)
		}
	}
	codecs := make([]string, len(sinks))
	for i, d := range sinks {
		codecs[i] = r.confCodec[d]
	}
	r.mu.Unlock()
	for i, d := range sinks {
		kind := Audio
		if d.kind == webrtc.RTPCodecTypeVideo {
			kind = Video
		}
		// A slot keeps the codec of its first source, as the output of
		// an MCU would: only publishers sending that codec are offered
		// to the selector.
		cands := pubs[kind]
		if codecs[i] != "" {
			cands = slices.DeleteFunc(slices.Clone(cands), func(pid string) bool {
				return r.sourceCodec(pid, d.kind) != codecs[i]
			})
		}
		pid := r.sel(d.receiver, kind, cands)
		var src *source
		if pid != "" {
			src = r.source(sourceKey{label: pid + "#primary", kind: d.kind})
		}
		d.mu.Lock()
		lim := d.limits
		label := d.label
		d.mu.Unlock()
		if label != conferenceLabel {
			continue
		}
		d.bind(src, label, lim)
		if codecs[i] == "" && pid != "" {
			if mime := r.sourceCodec(pid, d.kind); mime != "" {
				r.mu.Lock()
				if _, ok := r.confSinks[d]; ok {
					r.confCodec[d] = mime
				}
				r.mu.Unlock()
			}
		}
	}
}

// sourceCodec returns the codec (lower-case MIME) of pid's primary media
// of kind, or "" while no layer of it has arrived.
func (r *Room) sourceCodec(pid string, kind webrtc.RTPCodecType) string {
	r.mu.Lock()
	src := r.sources[sourceKey{label: pid + "#primary", kind: kind}]
	r.mu.Unlock()
	if src == nil {
		return ""
	}
	if layers := src.snapshotLayers(); len(layers) > 0 {
		return layers[0].mime
	}
	return ""
}

// Reselect asks the room to run the conference selector again soon, e.g.
// after a role or priority changed.
func (r *Room) Reselect() {
	r.post(func() {
		r.resolveConference()
		r.reselectConferenceSinks()
	})
}

func (r *Room) reselectConferenceSinks() {
	r.mu.Lock()
	sinks := make([]*downTrack, 0, len(r.confSinks))
	for d := range r.confSinks {
		sinks = append(sinks, d)
	}
	r.mu.Unlock()
	for _, d := range sinks {
		d.reselect()
	}
}

// source returns the source of a label and kind, creating it.
func (r *Room) source(key sourceKey) *source {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.sources[key]
	if !ok {
		s = &source{key: key}
		r.sources[key] = s
	}

	return s
}

// setPublishing records whether pid publishes primary media of a kind.
func (r *Room) setPublishing(pid string, kind Kind, on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	list := r.pubOrder[kind]
	i := slices.Index(list, pid)
	switch {
	case on && i < 0:
		r.pubOrder[kind] = append(list, pid)
	case !on && i >= 0:
		r.pubOrder[kind] = slices.Delete(list, i, i+1)
	}
}

// peer returns the participant's peer, creating it.
func (r *Room) peer(pid string) (*peer, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, ErrClosed
	}
	p, ok := r.peers[pid]
	if !ok {
		p = &peer{id: pid, room: r}
		r.peers[pid] = p
	}

	return p, nil
}

func (r *Room) lookup(pid string) *peer {
	r.mu.Lock()
	defer r.mu.Unlock()

	return r.peers[pid]
}

// Offer applies a participant's SDP offer and returns the answer, with all
// of the server's ICE candidates. Offers of one participant are applied one
// at a time, in call order. An offer whose o= session ID or ICE ufrag
// differs from the current connection's starts a new connection (the old one
// is closed without reporting anything); otherwise it renegotiates.
// Errors wrap [ErrMalformedOffer], [ErrOfferRejected], [ErrClosed] or the
// context's error.
func (r *Room) Offer(ctx context.Context, participantID, offerSDP string) (string, error) {
	o, err := ParseOffer(offerSDP)
	if err != nil {
		return "", err
	}
	p, err := r.peer(participantID)
	if err != nil {
		return "", err
	}

	return p.offer(ctx, o, offerSDP)
}

// Send sends a text message on the participant's data channel.
func (r *Room) Send(participantID, text string) error {
	p := r.lookup(participantID)
	if p == nil {
		return ErrNoConnection
	}
	c := p.current()
	if c == nil || c.dc.ReadyState() != webrtc.DataChannelStateOpen {
		return ErrNoConnection
	}

	return c.dc.SendText(text)
}

// Drop closes the participant's PeerConnection abruptly, as a network
// failure would: no close code is sent, and DataChannelClosed is reported.
func (r *Room) Drop(participantID string) {
	p := r.lookup(participantID)
	if p == nil {
		return
	}
	if c := p.current(); c != nil {
		c.dead.Store(true)
		c.reportClosed()
		c.close()
	}
}

// CloseDataChannel closes only the data channel of the participant's
// connection, without a close code, as a fault would; DataChannelClosed is
// reported.
func (r *Room) CloseDataChannel(participantID string) error {
	p := r.lookup(participantID)
	if p == nil {
		return ErrNoConnection
	}
	c := p.current()
	if c == nil {
		return ErrNoConnection
	}
	c.reportClosed()

	return c.dc.Close()
}

// ClosePeer closes the participant's connection at once and forgets the
// participant; nothing is reported.
func (r *Room) ClosePeer(participantID string) {
	r.mu.Lock()
	p := r.peers[participantID]
	delete(r.peers, participantID)
	r.mu.Unlock()
	if p == nil {
		return
	}
	p.shutdown()
	r.setPublishing(participantID, Audio, false)
	r.setPublishing(participantID, Video, false)
}

// CloseAfter closes the participant's connection after grace, so that a
// message sent just before (a close code) can still be delivered.
func (r *Room) CloseAfter(participantID string, grace time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	var t *time.Timer
	t = time.AfterFunc(grace, func() {
		r.mu.Lock()
		_, pending := r.timers[t]
		delete(r.timers, t)
		r.mu.Unlock()
		if pending {
			r.e.goTracked(func() { r.ClosePeer(participantID) })
		}
	})
	r.timers[t] = struct{}{}
}

// Close closes every connection of the room and stops its goroutine; no
// further events are delivered. It does not wait for the goroutine (see
// [Engine.Close]), so it may be called from an [Events] method.
func (r *Room) Close() {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()

		return
	}
	r.closed = true
	close(r.done)
	peers := r.peers
	r.peers = map[string]*peer{}
	for t := range r.timers {
		t.Stop()
	}
	r.timers = nil
	r.queue = nil
	r.mu.Unlock()
	for _, p := range peers {
		p.shutdown()
	}
	r.e.forget(r)
}

const conferenceLabel = "conference"
