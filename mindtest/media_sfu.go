package mindtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mindsdk/mindgo/mindtest/internal/sfu"
	"github.com/mindsdk/mindgo/transport"
)

// sfuMedia is the media engine of a server with WebRTC: one sfu.Engine,
// and one sfu.Room per conference, created on the conference's first
// offer and closed when the conference ends or the server closes.
//
// Lock order: Conference.mu, then Server.mu or sfuMedia.mu, then
// mediaRoom.mu. Apart from Engine.NewRoom, no method of the sfu package is
// called with sfuMedia.mu or mediaRoom.mu held, and none of them waits for
// a room's goroutine; the room's event methods run with none of these
// locks held.
type sfuMedia struct {
	srv *Server
	eng *sfu.Engine

	mu     sync.Mutex
	closed bool
	rooms  map[*Conference]*mediaRoom
}

func newSFUMedia(srv *Server) (*sfuMedia, error) {
	eng, err := sfu.NewEngine(sfu.Config{Logger: srv.log})
	if err != nil {
		return nil, fmt.Errorf("mindtest: media engine: %w", err)
	}

	return &sfuMedia{
		srv:   srv,
		eng:   eng,
		rooms: make(map[*Conference]*mediaRoom),
	}, nil
}

// mediaRoom is the media side of one conference. It implements
// sfu.Events.
type mediaRoom struct {
	m    *sfuMedia
	c    *Conference
	room *sfu.Room

	mu      sync.Mutex
	links   map[string]*dcLink      // pid → its open data channel
	pending map[string]*dcLink      // pid → the channel of its newest connection, not open yet
	locks   map[string]*sync.Mutex  // pid → serialises its offers
	conns   map[string]connIdentity // pid → identity of its last applied offer
}

// connIdentity tells client peer connections apart (protocol §10.4).
type connIdentity struct{ session, ufrag string }

// dcLink is one data channel carrying a participant's notifications.
type dcLink struct {
	rcv  *receiver
	sink *dcSink
	done chan struct{} // closed when the writer has returned
}

// room returns the media room of c, creating it. It fails with ErrEnded
// once c has ended and ErrClosed once the server closes.
func (m *sfuMedia) room(c *Conference) (*mediaRoom, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended {
		return nil, ErrEnded
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
	if mr, ok := m.rooms[c]; ok {
		return mr, nil
	}
	mr := &mediaRoom{
		m:       m,
		c:       c,
		links:   make(map[string]*dcLink),
		pending: make(map[string]*dcLink),
		locks:   make(map[string]*sync.Mutex),
		conns:   make(map[string]connIdentity),
	}
	room, err := m.eng.NewRoom(sfu.RoomConfig{Events: mr, Select: c.selectConference})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrClosed, err)
	}
	mr.room = room
	m.rooms[c] = mr

	return mr, nil
}

// lookup returns the media room of c, if it has one.
func (m *sfuMedia) lookup(c *Conference) *mediaRoom {
	m.mu.Lock()
	defer m.mu.Unlock()

	return m.rooms[c]
}

func (m *sfuMedia) answer(ctx context.Context, c *Conference, pid, offer string) (string, error) {
	o, err := sfu.ParseOffer(offer)
	if err != nil {
		c.recordSDP(pid, offer, "")
		return "", fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	mr, err := m.room(c)
	if err != nil {
		return "", err
	}

	lock := mr.offerLock(pid)
	lock.Lock()
	defer lock.Unlock()

	// The first offer of a client connection gets the connection's
	// notification channel at once, before the answer goes out: it queues
	// every change committed from now on and writes them once the data
	// channel opens, so a client that sees its channel open has missed
	// nothing. The old connection (closed by the sfu without a report)
	// stops writing; its channel goes once the new one opens.
	id := connIdentity{session: o.SessionID, ufrag: o.ICEUfrag}
	mr.mu.Lock()
	prev, ok := mr.conns[pid]
	mr.mu.Unlock()
	fresh := !ok || prev != id
	if fresh {
		if err := mr.openPending(pid); err != nil {
			return "", err
		}
	}

	answer, err := mr.room.Offer(ctx, pid, offer)
	c.recordSDP(pid, offer, answer)
	if err != nil {
		if fresh {
			// The new connection failed, and the old one may be gone
			// already: drop whatever is left, so the participant is
			// offline and its client, if still there, reconnects.
			mr.forget(pid)
			mr.room.Drop(pid)
		}
		switch {
		case errors.Is(err, sfu.ErrMalformedOffer):
			return "", fmt.Errorf("%w: %w", ErrInvalid, err)
		case errors.Is(err, sfu.ErrClosed):
			// The room closes when the conference ends or the server
			// closes; tell the two apart.
			if _, cerr := c.checkLive(pid); cerr != nil {
				return "", cerr
			}
			return "", fmt.Errorf("%w: %w", ErrClosed, err)
		case ctx.Err() != nil:
			return "", fmt.Errorf("%w: %w", ErrClosed, ctx.Err())
		}
		return "", err
	}
	mr.mu.Lock()
	mr.conns[pid] = id
	mr.mu.Unlock()

	// The flags follow from the offer alone (positions 1–4), so they are
	// set before the answer goes out: a client that reads the conference
	// after its answer sees them. The room's MediaFlags events carry the
	// same values later and are ignored.
	if err := c.setMedia(pid, offerFlags(o, 1), offerFlags(o, 3)); err != nil && !errors.Is(err, ErrNotFound) {
		return "", err
	}

	return answer, nil
}

// offerFlags returns the media flags of the audio and video publications
// at positions pos and pos+1.
func offerFlags(o *sfu.Offer, pos int) transport.MediaFlags {
	sends := func(i int) bool {
		if i >= len(o.Sections) {
			return false
		}
		d := o.Sections[i].Direction

		return d == sfu.SendOnly || d == sfu.SendRecv
	}

	return transport.MediaFlags{Audio: sends(pos), Video: sends(pos + 1)}
}

func (mr *mediaRoom) offerLock(pid string) *sync.Mutex {
	mr.mu.Lock()
	defer mr.mu.Unlock()
	l, ok := mr.locks[pid]
	if !ok {
		l = &sync.Mutex{}
		mr.locks[pid] = l
	}

	return l
}

// participantGone closes the expelled participant's connection once the
// close code had time to arrive. Called with c.mu held.
func (m *sfuMedia) participantGone(c *Conference, pid string) {
	mr := m.lookup(c)
	if mr == nil {
		return
	}
	mr.mu.Lock()
	var open []*dcLink
	if l := mr.links[pid]; l != nil {
		open = append(open, l)
	}
	mr.mu.Unlock()
	mr.endPending(pid)
	m.closeLater(open, func() { mr.room.ClosePeer(pid) })
}

// endPending ends the channels of pid (of everyone when pid is "") that
// have not opened yet: they can carry no close code, and their writers
// must not wait for a channel that will not open. Called with c.mu held.
func (mr *mediaRoom) endPending(pid string) {
	mr.mu.Lock()
	defer mr.mu.Unlock()
	for id, l := range mr.pending {
		if pid == "" || id == pid {
			l.sink.end()
		}
	}
}

// conferenceEnded closes the conference's room once the close codes had
// time to arrive. Called with c.mu held; c.ended is already true, so no
// new room appears.
func (m *sfuMedia) conferenceEnded(c *Conference) {
	m.mu.Lock()
	mr, ok := m.rooms[c]
	delete(m.rooms, c)
	m.mu.Unlock()
	if !ok {
		return
	}
	mr.mu.Lock()
	open := make([]*dcLink, 0, len(mr.links))
	for _, l := range mr.links {
		open = append(open, l)
	}
	mr.mu.Unlock()
	mr.endPending("")
	m.closeLater(open, mr.room.Close)
}

// closeWait bounds how long closeLater waits for close codes to be
// written before it starts the grace period anyway.
const closeWait = 5 * time.Second

// closeLater runs closeFn once the writers of links have returned (each
// wrote its close code, or failed) and ExpelGrace has then passed, so the
// codes are delivered before the connections close. Nothing runs once the
// server closes; the engine closes everything then.
func (m *sfuMedia) closeLater(links []*dcLink, closeFn func()) {
	s := m.srv
	if !s.enter() {
		return
	}
	go func() {
		defer s.leave()
		bound := time.NewTimer(closeWait)
		defer bound.Stop()
	wait:
		for _, l := range links {
			select {
			case <-l.done:
			case <-bound.C:
				break wait
			case <-s.ctx.Done():
				return
			}
		}
		grace := time.NewTimer(s.opts.ExpelGrace)
		defer grace.Stop()
		select {
		case <-grace.C:
			closeFn()
		case <-s.ctx.Done():
		}
	}()
}

// dropTransport closes pid's peer connection abruptly.
func (m *sfuMedia) dropTransport(c *Conference, pid string) {
	if mr := m.lookup(c); mr != nil {
		mr.room.Drop(pid)
	}
}

// closeDataChannel closes pid's data channel but not its peer connection.
func (m *sfuMedia) closeDataChannel(c *Conference, pid string) error {
	mr := m.lookup(c)
	if mr == nil {
		return ErrOffline
	}
	if err := mr.room.CloseDataChannel(pid); err != nil {
		return fmt.Errorf("%w: %w", ErrOffline, err)
	}

	return nil
}

// reselect asks the room of c to choose the conference stream again.
// Called with c.mu held.
func (m *sfuMedia) reselect(c *Conference) {
	if mr := m.lookup(c); mr != nil {
		mr.room.Reselect()
	}
}

// close closes every room and peer connection and waits for the engine.
func (m *sfuMedia) close() error {
	m.mu.Lock()
	m.closed = true
	m.rooms = nil
	m.mu.Unlock()

	return m.eng.Close()
}

// openPending gives pid's new client connection its notification
// channel, pending until the data channel opens, and silences the
// channel of the connection it replaces.
func (mr *mediaRoom) openPending(pid string) error {
	s := mr.m.srv
	if !s.enter() {
		return ErrClosed
	}
	l := newDCLink(mr.room, pid)
	if err := mr.c.attachPending(l.rcv); err != nil {
		s.leave()
		return err
	}
	go func() {
		defer s.leave()
		defer close(l.done)
		l.rcv.run(s.ctx, l.sink, s.opts.ExpelGrace)
		mr.c.detach(l.rcv)
	}()

	mr.mu.Lock()
	stale := mr.pending[pid]
	mr.pending[pid] = l
	if cur := mr.links[pid]; cur != nil {
		cur.sink.silence()
	}
	mr.mu.Unlock()
	if stale != nil {
		stale.kill(mr.c)
	}

	return nil
}

// DataChannelOpen implements sfu.Events: the participant's pending
// channel opens, which brings it online; the channel of the connection
// it replaced goes now, so presence does not flicker.
func (mr *mediaRoom) DataChannelOpen(pid string) {
	mr.mu.Lock()
	l := mr.pending[pid]
	delete(mr.pending, pid)
	mr.mu.Unlock()
	if l == nil {
		// The channel was given up meanwhile (the connection was reported
		// closed before a newer offer completed); open a fresh one.
		if err := mr.openPending(pid); err != nil {
			mr.m.srv.log.Debug("mindtest: data channel without a participant", "participant", pid, "err", err)
			return
		}
		mr.mu.Lock()
		l = mr.pending[pid]
		delete(mr.pending, pid)
		mr.mu.Unlock()
		if l == nil {
			return
		}
	}

	if err := mr.c.promote(l.rcv); err != nil {
		l.kill(mr.c)
		if errors.Is(err, errGone) {
			mr.room.ClosePeer(pid)
		}
		return
	}
	l.sink.open()

	mr.mu.Lock()
	old := mr.links[pid]
	mr.links[pid] = l
	mr.mu.Unlock()
	if old != nil {
		old.kill(mr.c)
	}
	mr.m.srv.log.Debug("mindtest: data channel open", "participant", pid)
}

// DataChannelClosed implements sfu.Events: the participant's current
// connection ended, so its data channel is no notification channel any
// more, and it publishes nothing.
func (mr *mediaRoom) DataChannelClosed(pid string) {
	// Wait for an offer of pid in progress: it sets flags of its own, and
	// the connection's end must come after them. Offers never wait for
	// the room's goroutine, so this cannot deadlock.
	lock := mr.offerLock(pid)
	lock.Lock()
	defer lock.Unlock()

	mr.forget(pid)
	if err := mr.c.setMedia(pid, transport.MediaFlags{}, transport.MediaFlags{}); err != nil {
		mr.m.srv.log.Debug("mindtest: clearing media flags", "participant", pid, "err", err)
	}
	mr.m.srv.log.Debug("mindtest: data channel closed", "participant", pid)
}

// MediaFlags implements sfu.Events. The flags are set from each offer in
// answer already; see there.
func (mr *mediaRoom) MediaFlags(string, transport.MediaFlags, transport.MediaFlags) {}

// DistortionReport implements sfu.Events: reports are recorded for tests.
func (mr *mediaRoom) DistortionReport(pid string, d sfu.Distortion) {
	mr.c.recordDistortion(pid, d.Text)
}

// forget detaches pid's data channels, whose connection has ended.
func (mr *mediaRoom) forget(pid string) {
	mr.mu.Lock()
	l, p := mr.links[pid], mr.pending[pid]
	delete(mr.links, pid)
	delete(mr.pending, pid)
	delete(mr.conns, pid)
	mr.mu.Unlock()

	if l != nil {
		l.kill(mr.c)
	}
	if p != nil {
		p.kill(mr.c)
	}
}

// newDCLink makes the notification channel of one client connection.
func newDCLink(room *sfu.Room, pid string) *dcLink {
	return &dcLink{
		done: make(chan struct{}),
		rcv:  newReceiver(pid, "datachannel"),
		sink: &dcSink{
			room: room, pid: pid,
			opened: make(chan struct{}), dead: make(chan struct{}),
		},
	}
}

// kill ends a channel whose connection is gone or replaced: it leaves the
// room alone, and its participant goes offline if it has no other open
// channel.
func (l *dcLink) kill(c *Conference) {
	l.sink.end()
	c.detach(l.rcv)
	l.rcv.abort()
}

// errChannelGone ends the writer of a channel whose connection went.
var errChannelGone = errors.New("mindtest: data channel gone")

// dcSink is a receiver's data-channel end. It writes through the room to
// the participant's current connection once its channel has opened (until
// then writes wait). A silenced sink (its connection was replaced)
// discards writes; an ended one fails them. Neither touches the room.
type dcSink struct {
	room *sfu.Room
	pid  string

	opened   chan struct{} // closed when the data channel opens
	openOnce sync.Once
	dead     chan struct{} // closed when the connection ended
	deadOnce sync.Once
	quiet    atomic.Bool // silenced or ended: leave the room alone
}

func (k *dcSink) open() { k.openOnce.Do(func() { close(k.opened) }) }

func (k *dcSink) silence() { k.quiet.Store(true) }

func (k *dcSink) end() {
	k.quiet.Store(true)
	k.deadOnce.Do(func() { close(k.dead) })
}

func (k *dcSink) write(ctx context.Context, text string) error {
	select {
	case <-k.opened:
	case <-k.dead:
		return errChannelGone
	case <-ctx.Done():
		return ctx.Err()
	}
	if k.quiet.Load() {
		return nil
	}

	return k.room.Send(k.pid, text)
}

// closeWith sends the close code if the channel is open. The peer
// connection is closed after the grace period by participantGone or
// conferenceEnded, which also covers a channel that never opened.
func (k *dcSink) closeWith(code int, _ time.Duration) {
	select {
	case <-k.opened:
	default:
		return
	}
	if !k.quiet.Load() {
		_ = k.room.Send(k.pid, fmt.Sprint(code))
	}
}

// abort drops the peer connection without a close code; the client sees
// a failure and reconnects.
func (k *dcSink) abort() {
	if k.quiet.Swap(true) {
		return
	}
	k.room.Drop(k.pid)
}

// selectConference is the conference-stream selector of the room (see
// the package documentation): among the publishers of primary media of
// the kind, the online speaker, presenter or moderator with the highest
// priority wins, ties going to the one that came online first. Nobody
// hears their own audio. It runs on the room's goroutine and only takes
// c.mu.
func (c *Conference) selectConference(receiver string, kind sfu.Kind, publishers []string) string {
	c.mu.Lock()
	defer c.mu.Unlock()

	var best *participant
	for _, p := range c.order {
		if !p.dto.Online || !slices.Contains(publishers, p.dto.ID) {
			continue
		}
		if kind == sfu.Audio && p.dto.ID == receiver {
			continue
		}
		switch p.dto.Role {
		case transport.RoleSpeaker, transport.RolePresenter, transport.RoleModerator:
		default:
			continue
		}
		if best == nil || p.dto.Priority > best.dto.Priority ||
			(p.dto.Priority == best.dto.Priority && p.joined < best.joined) {
			best = p
		}
	}
	if best == nil {
		return ""
	}

	return best.dto.ID
}
