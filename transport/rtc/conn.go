package rtc

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/interceptor/pkg/stats"
	"github.com/pion/webrtc/v4"
)

// Handlers receive what a [Conn] learns on its own. Every field is
// optional. The functions are called from pion's goroutines, possibly
// concurrently with each other and with the owner's calls; they must return
// quickly and must not block on the owner (hand the event to the owner's
// queue and return). They must not call [Conn.Close], which waits for
// handler calls in progress.
//
// Once Close has begun, no handler of that Conn is called any more, so a
// rebuilt connection never sees events of the one it replaced (quirk Q11).
type Handlers struct {
	// OnDataChannelOpen: the notification channel opened; the connection
	// is up (protocol §4.2). Called at most once.
	OnDataChannelOpen func()
	// OnMessage: a data channel message (protocol §4.3). The slice is not
	// reused by the connection.
	OnMessage func(text []byte)
	// OnDataChannelClose: the data channel closed without Close being
	// called. OnFailed follows with ErrDataChannelClosed.
	OnDataChannelClose func()
	// OnFailed: the connection failed (protocol §5.3): the peer connection
	// state became failed (ErrConnectionFailed) or the data channel closed
	// unexpectedly (ErrDataChannelClosed). Called at most once; the owner
	// is expected to Close the connection.
	OnFailed func(err error)
	// OnTrack: the server started sending on the section with this mid (a
	// receive slot, see [Conn.SlotByMid]). Called again for the same mid
	// when a slot was parked and reused, with a new track.
	OnTrack func(mid string, track *webrtc.TrackRemote, receiver *webrtc.RTPReceiver)
	// OnKeyframeRequest: the server asked for a keyframe (PLI or FIR) on a
	// publication encoding; rid is "" for single-encoding sections.
	OnKeyframeRequest func(which Publication, rid string)
}

// Conn is one client peer connection with its negotiated data channel,
// publications and receive slots.
//
// Conn is safe for concurrent use, but negotiation is a sequence: the owner
// runs one round at a time (CreateOffer, send, ApplyAnswer) and coalesces
// the requests that arrive meanwhile (protocol §4.5). Changes made between
// CreateOffer and ApplyAnswer take effect in the next round. Close must be
// called exactly when the owner is done with the connection; it is
// idempotent and releases every goroutine the connection started.
type Conn struct {
	engine *Engine
	pc     *webrtc.PeerConnection
	dc     *webrtc.DataChannel
	h      Handlers
	logger *slog.Logger

	// gate lets Close wait for handler calls in progress; closed is set
	// first, so calls that start later are dropped.
	gate      sync.RWMutex
	closed    atomic.Bool
	done      chan struct{}
	failed    atomic.Bool
	dcOpened  atomic.Bool
	readers   sync.WaitGroup
	closeOnce sync.Once
	closeErr  error

	gathering *gatherer
	rtpStats  stats.Getter // nil if pion did not build the interceptor

	// mu serialises the owner's operations and guards the fields below.
	mu           sync.Mutex
	answered     bool  // an answer was applied
	awaiting     bool  // an offer waits for its answer
	pendingOffer Offer // the offer waiting, once built
	lastPlans    []sectionPlan
	pubsAdded    bool
	pubs         [2]publication
	pubSections  [4]*pubSection
	slots        []*slotRecord // receive slots by position − 5
	pending      []*slotRecord // subscriptions made before AddPublications
	parked       map[webrtc.RTPCodecType][]*slotRecord

	// remoteMu guards remote and delivered, written from pion's OnTrack.
	remoteMu  sync.Mutex
	remote    map[string]remoteTrack
	delivered []*webrtc.TrackRemote // every track handed out, for Close
}

type remoteTrack struct {
	track    *webrtc.TrackRemote
	receiver *webrtc.RTPReceiver
}

// NewConn creates a peer connection and its negotiated data channel
// (label "", id 1, ordered; protocol §4.2). Nothing is sent until the
// owner calls [Conn.CreateOffer].
func (e *Engine) NewConn(h Handlers) (*Conn, error) {
	pc, err := e.api.NewPeerConnection(e.config)
	if err != nil {
		return nil, fmt.Errorf("create peer connection: %w", err)
	}
	var getter stats.Getter
	if v, ok := e.rtpStats.LoadAndDelete(pc.ID()); ok {
		getter, _ = v.(stats.Getter)
	}

	c := &Conn{
		engine:    e,
		pc:        pc,
		h:         h,
		logger:    e.logger,
		done:      make(chan struct{}),
		gathering: newGatherer(e.desired),
		parked:    make(map[webrtc.RTPCodecType][]*slotRecord),
		remote:    make(map[string]remoteTrack),
		rtpStats:  getter,
	}

	negotiated, ordered, id := true, true, uint16(1)
	dc, err := pc.CreateDataChannel("", &webrtc.DataChannelInit{
		Negotiated: &negotiated, Ordered: &ordered, ID: &id,
	})
	if err != nil {
		_ = pc.Close()

		return nil, fmt.Errorf("create data channel: %w", err)
	}
	c.dc = dc

	pc.OnICECandidate(c.gathering.add)
	pc.OnConnectionStateChange(c.onConnectionState)
	pc.OnTrack(c.onTrack)
	dc.OnOpen(c.onOpen)
	dc.OnMessage(c.onMessage)
	dc.OnClose(c.onDataChannelClose)

	return c, nil
}

// NewConn is a shortcut for building an [Engine] from cfg and a connection
// from it. Prefer one Engine per configuration when connections are
// created repeatedly.
func NewConn(cfg Config, h Handlers) (*Conn, error) {
	e, err := NewEngine(cfg)
	if err != nil {
		return nil, err
	}

	return e.NewConn(h)
}

// dispatch runs fn unless the connection is closing; Close waits for
// dispatches in progress.
func (c *Conn) dispatch(fn func()) {
	c.gate.RLock()
	defer c.gate.RUnlock()

	if c.closed.Load() {
		return
	}
	fn()
}

func (c *Conn) fail(err error) {
	if !c.failed.CompareAndSwap(false, true) {
		return
	}
	c.logger.Debug("rtc connection failed", "err", err)
	c.dispatch(func() {
		if c.h.OnFailed != nil {
			c.h.OnFailed(err)
		}
	})
}

func (c *Conn) onConnectionState(state webrtc.PeerConnectionState) {
	c.logger.Debug("rtc peer connection state", "state", state.String())
	if state == webrtc.PeerConnectionStateFailed {
		c.fail(ErrConnectionFailed)
	}
}

func (c *Conn) onOpen() {
	c.dcOpened.Store(true)
	c.dispatch(func() {
		if c.h.OnDataChannelOpen != nil {
			c.h.OnDataChannelOpen()
		}
	})
}

func (c *Conn) onMessage(msg webrtc.DataChannelMessage) {
	c.dispatch(func() {
		if c.h.OnMessage != nil {
			c.h.OnMessage(msg.Data)
		}
	})
}

func (c *Conn) onDataChannelClose() {
	if c.closed.Load() {
		return
	}
	c.dispatch(func() {
		if c.h.OnDataChannelClose != nil {
			c.h.OnDataChannelClose()
		}
	})
	c.fail(ErrDataChannelClosed)
}

func (c *Conn) onTrack(track *webrtc.TrackRemote, receiver *webrtc.RTPReceiver) {
	mid := ""
	for _, t := range c.pc.GetTransceivers() {
		if t.Receiver() == receiver {
			mid = t.Mid()

			break
		}
	}
	c.remoteMu.Lock()
	c.remote[mid] = remoteTrack{track: track, receiver: receiver}
	c.delivered = append(c.delivered, track)
	c.remoteMu.Unlock()

	c.dispatch(func() {
		if c.h.OnTrack != nil {
			c.h.OnTrack(mid, track, receiver)
		}
	})
}

// Send sends a text message on the data channel (a distortion report,
// protocol §4.3).
func (c *Conn) Send(text string) error {
	if c.closed.Load() {
		return ErrClosed
	}
	if !c.dcOpened.Load() {
		return ErrDataChannelNotOpen
	}
	if err := c.dc.SendText(text); err != nil {
		return fmt.Errorf("send on data channel: %w", err)
	}

	return nil
}

// DataChannelOpen reports whether the data channel has opened.
func (c *Conn) DataChannelOpen() bool { return c.dcOpened.Load() }

// CandidatePair is the selected ICE candidate pair, for session statistics
// (protocol §6.2).
type CandidatePair struct {
	// Protocol is the local candidate's transport: "udp" or "tcp".
	Protocol string
	// LocalAddress and LocalPort are the local candidate's (an IP address
	// or an mDNS name).
	LocalAddress string
	LocalPort    int
	// RemoteAddress and RemotePort are the server candidate's.
	RemoteAddress string
	RemotePort    int
}

// SelectedCandidatePair returns the selected pair, or false while there
// is none.
func (c *Conn) SelectedCandidatePair() (CandidatePair, bool) {
	if c.closed.Load() {
		return CandidatePair{}, false
	}
	sctp := c.pc.SCTP()
	if sctp == nil || sctp.Transport() == nil || sctp.Transport().ICETransport() == nil {
		return CandidatePair{}, false
	}
	pair, err := sctp.Transport().ICETransport().GetSelectedCandidatePair()
	if err != nil || pair == nil || pair.Local == nil || pair.Remote == nil {
		return CandidatePair{}, false
	}

	return CandidatePair{
		Protocol:      pair.Local.Protocol.String(),
		LocalAddress:  pair.Local.Address,
		LocalPort:     int(pair.Local.Port),
		RemoteAddress: pair.Remote.Address,
		RemotePort:    int(pair.Remote.Port),
	}, true
}

// GetStats returns pion's statistics report of the peer connection:
// transport, ICE candidates and pairs (with the current round-trip time),
// data channel and codecs. RTP stream statistics are not in it; use
// [Conn.RTPStats].
func (c *Conn) GetStats() webrtc.StatsReport {
	return c.pc.GetStats()
}

// RTPStats returns the statistics of one RTP stream, sent or received,
// as pion's statistics interceptor keeps them: inbound, outbound, and what
// the server's RTCP reports about them. Find sent streams' SSRCs with
// [Conn.PublicationEncodings] and received ones on the remote track.
// Received packets are counted as the remote track is read: a track nobody
// reads shows the one packet pion read before handing it out.
func (c *Conn) RTPStats(ssrc webrtc.SSRC) (stats.Stats, bool) {
	if c.rtpStats == nil {
		return stats.Stats{}, false
	}
	s := c.rtpStats.Get(uint32(ssrc))
	if s == nil {
		return stats.Stats{}, false
	}

	return *s, true
}

// Close closes the data channel and the peer connection. It is idempotent,
// safe to call from any goroutine except a handler, waits for handler calls
// in progress and for the connection's own goroutines, and drops every
// later callback. Reads on the remote tracks handed out end with an error.
//
// Known pion v4.2.26 leaks, both confined to a Close that follows a
// negotiation within about a hundred milliseconds: pion applies an answer
// partly on its own operations queue, which Close cannot wait for, so a
// receiver it starts in that window can keep one goroutine waiting for a
// packet; and RTP that reaches a receive slot before its answer is applied
// makes pion probe the stream for mid/RID header extensions (up to eleven
// packets), a probe that can stay blocked when the connection closes
// during it.
func (c *Conn) Close() error {
	c.closeOnce.Do(func() {
		c.closed.Store(true)
		c.gate.Lock()
		close(c.done)
		c.gate.Unlock()

		dcErr := c.dc.Close()
		pcErr := c.pc.Close()
		c.waitReaders()
		c.unblockReaders()
		if errors.Is(dcErr, webrtc.ErrConnectionClosed) {
			dcErr = nil
		}
		c.closeErr = errors.Join(dcErr, pcErr)
	})

	return c.closeErr
}

// unblockReaders makes every read on a delivered remote track return. pion
// closes the streams of stopped receivers, but a stream it opened for an
// SSRC seen while the receiver was being replaced can stay open; readers
// of such a track would otherwise block for ever.
func (c *Conn) unblockReaders() {
	c.remoteMu.Lock()
	tracks := c.delivered
	c.delivered = nil
	c.remoteMu.Unlock()

	past := time.Unix(1, 0)
	for _, track := range tracks {
		_ = track.SetReadDeadline(past)
	}
}

// readersGrace bounds how long Close waits for the RTCP readers, which end
// when pion stops the senders.
const readersGrace = 2 * time.Second

func (c *Conn) waitReaders() {
	ended := make(chan struct{})
	go func() {
		c.readers.Wait()
		close(ended)
	}()
	timer := time.NewTimer(readersGrace)
	defer timer.Stop()
	select {
	case <-ended:
	case <-timer.C:
		c.logger.Warn("rtc: RTCP readers still running after close")
	}
}
