package session

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/mindsdk/mindgo/conference"
	"github.com/mindsdk/mindgo/event"
	"github.com/mindsdk/mindgo/media"
	"github.com/mindsdk/mindgo/stats"
	"github.com/mindsdk/mindgo/transport"
	"github.com/mindsdk/mindgo/transport/rtc"
)

// mediaState is the media side of a session, owned by the actor. It is nil
// for a signalling-only session. Only engine and opts are read outside the
// actor (by dialMedia); they never change after Join.
type mediaState struct {
	engine *rtc.Engine
	opts   MediaOptions

	// conn is the current connection once its data channel opened, nil
	// while there is none (joining, recovering).
	conn *mediaConn
	// pumps: the reader of each receive section's track, by mid, on conn.
	pumps map[string]*pump

	// Negotiation coalescing (protocol §4.5): one round in flight, at most
	// one more pending.
	negRunning bool
	negAgain   bool
	negTimer   *time.Timer
	launched   uint64 // rounds started on conn, numbered from 1

	pubs [2]*publication // primary, secondary
	subs []*Subscription // in creation order

	session  stats.Session
	detector stats.DistortionDetector
	ticking  bool

	// Published for readers on other goroutines.
	sessionStats atomic.Pointer[stats.Session]
	pubStats     [2]atomic.Pointer[event.StreamStatistics]
}

// mediaConn is the carrier of a media session: a peer connection whose
// data channel brings the notifications.
type mediaConn struct {
	conn   *rtc.Conn
	ctx    context.Context //nolint:containedctx // bounds the requests of this connection
	cancel context.CancelFunc
}

// Close cancels the connection's requests and closes it; rtc.Conn.Close
// waits for handler calls in progress, so no note follows.
func (m *mediaConn) Close() error {
	m.cancel()
	return m.conn.Close()
}

// Media notes: what a connection or its requests report to the actor. They
// travel as notes of kind noteMedia so the generation check drops those of
// a connection already given up (quirk Q11).
type (
	// connOpened: the data channel of mc opened and its publication
	// sections exist.
	connOpened struct{ mc *mediaConn }
	// trackArrived: the server started sending on a receive section.
	trackArrived struct {
		mc    *mediaConn
		mid   string
		track *webrtc.TrackRemote
	}
	// negDone: a negotiation round on mc finished.
	negDone struct {
		mc    *mediaConn
		round uint64
		err   error
	}
	// negRetry: the pause after a timed-out offer is over.
	negRetry struct{ mc *mediaConn }
	// sessionGone: an offer got 404 and no close code explained it.
	sessionGone struct{}
	// statsTick: time for statistics (protocol §6.1).
	statsTick struct{}
	// mediaCall runs fn on the actor and replies with its error.
	mediaCall struct {
		fn    func() error
		reply chan error // capacity 1
	}
)

// newMediaState prepares the media side of a session from its options.
func newMediaState(o *Options) (*mediaState, error) {
	m := &mediaState{opts: o.Media.withDefaults(), pumps: map[string]*pump{}}
	m.session = stats.NoSession(time.Now())
	m.sessionStats.Store(&m.session)
	m.engine = m.opts.Engine
	if m.engine == nil {
		cfg := m.opts.RTC
		cfg.ICEServers = append(iceServers(o.ICEServers), cfg.ICEServers...)
		if cfg.Logger == nil {
			cfg.Logger = o.Logger
		}
		e, err := rtc.NewEngine(cfg)
		if err != nil {
			return nil, fmt.Errorf("mind: join: webrtc engine: %w", err)
		}
		m.engine = e
	}
	return m, nil
}

func iceServers(s ICEServers) []webrtc.ICEServer {
	var out []webrtc.ICEServer
	if s.STUN != "" {
		out = append(out, webrtc.ICEServer{URLs: []string{s.STUN}})
	}
	if s.TURN != "" {
		out = append(out, webrtc.ICEServer{
			URLs: []string{s.TURN}, Username: s.TURNUsername, Credential: s.TURNPassword,
		})
	}
	return out
}

// dialMedia builds a peer connection and runs it up to an open data
// channel (protocol §4.4): data-channel-only offer, R2, answer, ICE, DTLS,
// SCTP. Then it adds the publication sections and tells the actor, which
// re-adds publications and subscriptions and negotiates them. On any error
// the connection is closed before returning.
func dialMedia(ctx context.Context, s *Session, deliver func(note)) (carrier, error) {
	m := s.a.media // engine and opts only: immutable after Join
	ctx, cancel := context.WithTimeoutCause(ctx, m.opts.ConnectTimeout, ErrConnectTimeout)
	defer cancel()

	opened := make(chan struct{})
	lost := make(chan error, 1)
	var openOnce sync.Once
	mc := &mediaConn{}
	mc.ctx, mc.cancel = context.WithCancel(s.ctx)

	conn, err := m.engine.NewConn(rtc.Handlers{
		OnDataChannelOpen: func() { openOnce.Do(func() { close(opened) }) },
		OnMessage: func(text []byte) {
			msg, err := transport.ParseChannelMessage(text)
			if err != nil {
				deliver(note{kind: noteMalformed, err: err})
				return
			}
			deliver(note{kind: noteMessage, msg: msg})
		},
		OnFailed: func(err error) {
			select {
			case lost <- err:
			default:
			}
			deliver(note{kind: noteFailed, err: err})
		},
		OnTrack: func(mid string, track *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
			deliver(note{kind: noteMedia, media: trackArrived{mc: mc, mid: mid, track: track}})
		},
	})
	if err != nil {
		mc.cancel()
		return nil, fmt.Errorf("mind: peer connection: %w", err)
	}
	mc.conn = conn

	fail := func(step string, err error) (carrier, error) {
		_ = mc.Close()
		if c := context.Cause(ctx); c != nil && ctx.Err() != nil && errors.Is(c, ErrConnectTimeout) {
			err = ErrConnectTimeout
		}
		return nil, fmt.Errorf("mind: %s: %w", step, err)
	}

	offer, err := conn.CreateOffer(ctx)
	if err != nil {
		return fail("create offer", err)
	}
	answer, err := s.rest.Negotiate(ctx, offer.SDP, m.opts.SDPTimeout)
	if err != nil {
		return fail("post offer", err)
	}
	if err := conn.ApplyAnswer(answer); err != nil {
		return fail("apply answer", err)
	}

	select {
	case <-opened:
	case err := <-lost:
		return fail("connect", err)
	case <-ctx.Done():
		return fail("connect", context.Cause(ctx))
	}
	if err := conn.AddPublications(); err != nil {
		return fail("add publications", err)
	}

	deliver(note{kind: noteMedia, media: connOpened{mc: mc}})
	return mc, nil
}

// onMediaNote handles a note of the current connection generation.
func (s *Session) onMediaNote(n note) {
	m := s.a.media
	if m == nil {
		return
	}
	switch e := n.media.(type) {
	case connOpened:
		s.onConnOpened(e.mc)
	case trackArrived:
		if e.mc == m.conn {
			s.onTrack(e.mid, e.track)
		}
	case negDone:
		s.onNegDone(e)
	case negRetry:
		s.onNegRetry(e.mc)
	case sessionGone:
		s.expel()
	}
}

// handleMedia handles the actor messages of media sessions that are not
// notes.
func (s *Session) handleMedia(msg any) {
	switch msg := msg.(type) {
	case mediaCall:
		if s.a.media == nil {
			msg.reply <- ErrSignallingOnly
			return
		}
		msg.reply <- msg.fn()
	case statsTick:
		s.onStatsTick()
	}
}

// discardMedia answers a media message that arrived after the end.
func discardMedia(msg any, reason error) {
	if c, ok := msg.(mediaCall); ok {
		c.reply <- closedError(reason)
	}
}

// onConnOpened installs a connection whose data channel opened: the
// publications and subscriptions move onto it (with the same players and
// sinks) and a negotiation round offers them.
func (s *Session) onConnOpened(mc *mediaConn) {
	m := s.a.media
	s.resetConn()
	m.conn = mc
	if !m.ticking {
		s.startStatsTicker()
	}

	for _, p := range m.pubs {
		if p != nil {
			audio, video := p.tracks()
			if err := mc.conn.SetPublication(p.which, audio, video); err != nil {
				s.log.Warn("publication not restored", "publication", p.which.String(), "err", err)
			}
		}
	}
	s.syncSlots(true)
	s.requestNegotiation()
}

// resetConn forgets everything tied to the current connection: the
// negotiation in progress, the receive slots and their readers, and the
// statistics baselines (protocol §5.3). Subscriptions and publications
// stay, with their sinks and players.
func (s *Session) resetConn() {
	m := s.a.media
	if m == nil {
		return
	}
	m.conn = nil
	m.negRunning, m.negAgain, m.launched = false, false, 0
	if m.negTimer != nil {
		m.negTimer.Stop()
		m.negTimer = nil
	}
	for mid, p := range m.pumps {
		p.target.Store(nil)
		delete(m.pumps, mid)
	}
	for _, sub := range m.subs {
		for _, k := range sub.kinds {
			if k != nil {
				k.slot, k.avail, k.bindRound = nil, false, 0
				k.audio.Reset()
				k.video.Reset()
			}
		}
	}
	for _, p := range m.pubs {
		if p != nil {
			p.audio.Reset()
			p.video.Reset()
		}
	}
}

// onTrack binds the track the server sends on a section to the
// subscription the section serves, through the section's reader.
func (s *Session) onTrack(mid string, track *webrtc.TrackRemote) {
	m := s.a.media
	if old := m.pumps[mid]; old != nil {
		if old.track == track {
			return
		}
		old.target.Store(nil)
	}
	p := &pump{track: track, vp8: strings.EqualFold(track.Codec().MimeType, webrtc.MimeTypeVP8)}
	m.pumps[mid] = p
	s.a.wg.Add(1)
	go func() {
		defer s.a.wg.Done()
		_ = media.Copy(p, track) // ends when the connection closes
	}()

	if k := s.kindByMid(mid); k != nil && k.bindRound == 0 {
		p.target.Store(k)
	}
}

func (s *Session) kindByMid(mid string) *subKind {
	for _, sub := range s.a.media.subs {
		for _, k := range sub.kinds {
			if k != nil && k.slot != nil && k.slot.Mid() == mid {
				return k
			}
		}
	}
	return nil
}

// available tells whether the remote stream has a source of kind
// (protocol §4.12): always for the conference stream, per the media flags
// for a participant's. exists is false when the participant is gone.
func available(c *conference.Conference, t Target, kind webrtc.RTPCodecType) (ok, exists bool) {
	if t.participant == "" {
		return true, true
	}
	p, found := c.Participant(t.participant)
	if !found {
		return false, false
	}
	flags := p.Media
	if t.secondary {
		flags = p.SecondaryMedia
	}
	if kind == webrtc.RTPCodecTypeAudio {
		return flags.Audio, true
	}
	return flags.Video, true
}

// syncSlots makes the receive slots follow protocol §4.12: a slot exists
// for each kind a subscription consumes while its stream has that kind;
// it is parked when the publisher stops sending the kind and taken again
// (the most recently parked of the kind first) when it starts. A
// subscription whose participant left ends. A round is requested when
// anything changed, unless quiet is set by a caller that requests one
// itself.
func (s *Session) syncSlots(quiet bool) {
	m := s.a.media
	if m == nil || s.a.model == nil {
		return
	}
	changed := false
	keep := m.subs[:0]
	for _, sub := range m.subs {
		ended := false
		for _, k := range sub.kinds {
			if k == nil {
				continue
			}
			avail, exists := available(s.a.model, sub.target, k.kind)
			if !exists {
				ended = true
				avail = false
			}
			switch {
			case avail && k.slot == nil && m.conn != nil:
				slot, err := m.conn.conn.Subscribe(sub.target.Label(), k.kind, sub.limits)
				if err != nil {
					s.log.Warn("subscribe failed", "stream", sub.target.Label(), "err", err)
					continue
				}
				// A reused section may still carry the stream it served
				// before; its packets reach this subscription only after
				// the round that offers the new binding.
				k.slot, k.avail, k.bindRound = slot, true, m.launched+1
				m.detector.Register(k.mtid, time.Now())
				changed = true
			case !avail && k.slot != nil:
				s.releaseKind(k)
				changed = true
			}
		}
		if ended {
			sub.finish(ErrStreamEnded)
			continue
		}
		keep = append(keep, sub)
	}
	clear(m.subs[len(keep):])
	m.subs = keep

	if changed && !quiet {
		s.requestNegotiation()
	}
}

// releaseKind parks the slot of one kind of a subscription.
func (s *Session) releaseKind(k *subKind) {
	m := s.a.media
	if p := m.pumps[k.slot.Mid()]; p != nil {
		p.target.Store(nil)
	}
	_ = k.slot.Release()
	k.slot, k.avail, k.bindRound = nil, false, 0
	m.detector.Unregister(k.mtid)
	k.audio.Reset()
	k.video.Reset()
}

// afterStep runs after every message of a media session: the model may
// have changed, so the slots follow it.
func (s *Session) afterStep() {
	if s.a.media != nil && !s.a.ended {
		s.syncSlots(false)
	}
}

// closeMedia ends the media side when the session ends: players have
// stopped with the session's context and the connection is closed; every
// subscription ends, which closes its sinks.
func (s *Session) closeMedia(reason error) {
	m := s.a.media
	if m == nil {
		return
	}
	if m.negTimer != nil {
		m.negTimer.Stop()
	}
	for _, sub := range m.subs {
		sub.finish(closedError(reason))
	}
	m.subs = nil
	for i, p := range m.pubs {
		if p != nil && p.cancel != nil {
			p.cancel()
		}
		m.pubs[i] = nil
	}
	m.session = stats.NoSession(time.Now())
	m.sessionStats.Store(&m.session)
	m.pubStats[0].Store(nil)
	m.pubStats[1].Store(nil)
}

// stopMediaConn closes the current connection when it is not (yet) the
// session's carrier, as during a reconnect, so that its readers end.
func (s *Session) stopMediaConn() {
	if m := s.a.media; m != nil && m.conn != nil {
		_ = m.conn.Close()
	}
}

// bindSlots connects the sections that round answered to their new
// subscriptions.
func (s *Session) bindSlots(round uint64) {
	m := s.a.media
	for _, sub := range m.subs {
		for _, k := range sub.kinds {
			if k == nil || k.slot == nil || k.bindRound == 0 || k.bindRound > round {
				continue
			}
			k.bindRound = 0
			if p := m.pumps[k.slot.Mid()]; p != nil {
				p.target.Store(k)
			}
		}
	}
}
