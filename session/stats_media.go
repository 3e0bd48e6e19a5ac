package session

import (
	"strconv"
	"time"

	rtpstats "github.com/pion/interceptor/pkg/stats"
	"github.com/pion/webrtc/v4"

	"github.com/mindsdk/mindgo/event"
	"github.com/mindsdk/mindgo/stats"
	"github.com/mindsdk/mindgo/transport/rtc"
)

// startStatsTicker starts the statistics tick (protocol §6.1). It runs
// from the first open connection until the session ends and only posts to
// the mailbox: all statistics work happens on the actor, which never
// touches a connection after closing it.
func (s *Session) startStatsTicker() {
	m := s.a.media
	m.ticking = true
	every := m.opts.StatsInterval
	s.a.wg.Add(1)
	go func() {
		defer s.a.wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-s.ctx.Done():
				return
			case <-t.C:
				s.box.put(statsTick{})
			}
		}
	}()
}

// onStatsTick computes the session's and every stream's statistics,
// reports them as one event and sends the distortion reports that are due
// (protocol §4.3).
func (s *Session) onStatsTick() {
	m := s.a.media
	now := time.Now()
	var conn *rtc.Conn
	if m.conn != nil && m.conn.conn.DataChannelOpen() {
		conn = m.conn.conn
	}

	var pairRTT float64
	if conn != nil {
		if p, ok := conn.SelectedCandidatePair(); ok {
			m.session = stats.Session{
				Timestamp: now, Protocol: p.Protocol,
				LocalAddress: p.LocalAddress, LocalPort: p.LocalPort,
				RemoteAddress: p.RemoteAddress, RemotePort: p.RemotePort,
			}
		}
		pairRTT = selectedPairRTT(conn)
	}
	sess := m.session
	m.sessionStats.Store(&sess)

	all := make([]event.StreamStatistics, 0, 2+len(m.subs))
	for i, p := range m.pubs {
		if p == nil {
			continue
		}
		st := s.publicationStats(conn, p, now, pairRTT)
		p.last.Store(&st)
		m.pubStats[i].Store(&st)
		all = append(all, st)
	}

	var distorted []string
	for _, sub := range m.subs {
		st, bad := s.subscriptionStats(conn, sub, now, pairRTT)
		sub.stats.Store(&st)
		all = append(all, st)
		distorted = append(distorted, bad...)
	}

	s.emit(event.StatisticsUpdated{Session: m.session, Streams: all})

	if conn != nil {
		for _, r := range m.detector.Tick(now, distorted) {
			if err := conn.Send(r); err != nil {
				s.log.Debug("distortion report not sent", "err", err)
			}
		}
	}
}

// selectedPairRTT is the current round-trip time of the nominated pair in
// seconds, 0 when unknown.
func selectedPairRTT(conn *rtc.Conn) float64 {
	for _, v := range conn.GetStats() {
		if p, ok := v.(webrtc.ICECandidatePairStats); ok && p.Nominated {
			return p.CurrentRoundTripTime
		}
	}
	return 0
}

// publicationStats computes the figures of a local publication from what
// pion counted on its encodings and what the publication's tracks counted
// as they wrote (frames, Opus samples). Layer sizes are those of the
// stream's sources: sent frames are not inspected.
func (s *Session) publicationStats(conn *rtc.Conn, p *publication, now time.Time, pairRTT float64) event.StreamStatistics {
	prev := p.last.Load()
	st := event.StreamStatistics{Label: "me#" + p.which.String(), Direction: stats.Sent}
	if prev != nil {
		st.Audio, st.Video = prev.Audio, prev.Video
	}

	ac := stats.AudioCounters{Time: now, HasTrack: p.audioTrack != nil, PairRTT: pairRTT}
	if p.audioTrack != nil {
		ac.Samples = p.audioTrack.counter.Counters().Samples
	}
	vc := stats.VideoCounters{
		Time: now, HasTrack: len(p.videoTracks) > 0, PairRTT: pairRTT,
		TrackWidth: p.width, TrackHeight: p.height,
	}
	frames := map[string]uint64{}
	for _, v := range p.videoTracks {
		frames[v.RID()] = v.counter.Counters().Frames
	}
	if conn != nil {
		for _, e := range conn.PublicationEncodings(p.which) {
			if !e.Active {
				continue
			}
			r, ok := conn.RTPStats(e.SSRC)
			if !ok {
				continue
			}
			lost := uint64(max(r.RemoteInboundRTPStreamStats.PacketsLost, 0))
			rtt := r.RemoteInboundRTPStreamStats.RoundTripTime.Seconds()
			if e.Kind == webrtc.RTPCodecTypeAudio {
				ac.Bytes, ac.Packets = r.OutboundRTPStreamStats.BytesSent, r.OutboundRTPStreamStats.PacketsSent
				ac.PacketsLost, ac.RemoteRTT = lost, rtt
				continue
			}
			size := p.sizes[e.RID]
			vc.RemoteRTT = max(vc.RemoteRTT, rtt)
			vc.Layers = append(vc.Layers, stats.VideoLayerCounters{
				ID: e.RID, Bytes: r.OutboundRTPStreamStats.BytesSent, Packets: r.OutboundRTPStreamStats.PacketsSent,
				PacketsLost: lost, Frames: frames[e.RID], Width: size[0], Height: size[1],
			})
		}
	}
	if a, ok := p.audio.Update(ac); ok {
		st.Audio = a
	}
	if v, ok := p.video.Update(vc); ok {
		st.Video = v
	}
	return st
}

// subscriptionStats computes the figures of a received stream from pion's
// inbound counters and the subscription's own frame and sample counts, and
// lists its media track IDs judged distorted. A kind without a receive
// section keeps zeros. Known gaps: nothing is decoded, so the delay
// (jitter buffer) and the audio level are always 0, and the picture size
// is known for VP8 only (read from keyframes).
func (s *Session) subscriptionStats(
	conn *rtc.Conn, sub *Subscription, now time.Time, pairRTT float64,
) (event.StreamStatistics, []string) {
	st := event.StreamStatistics{Label: sub.target.Label(), Direction: stats.Received}
	prev := sub.stats.Load()
	var distorted []string

	for _, k := range sub.kinds {
		if k == nil || k.slot == nil || !k.avail || conn == nil {
			continue
		}
		// A section that gets nothing yet (no track) counts as receiving
		// nothing, which the distortion rules judge like any other silence.
		var r rtpstats.Stats
		var ssrc webrtc.SSRC
		if track, _ := k.slot.Track(); track != nil {
			ssrc = track.SSRC()
			r, _ = conn.RTPStats(ssrc)
		}
		c := k.counter.Counters()
		lost := uint64(max(r.InboundRTPStreamStats.PacketsLost, 0))

		if k.kind == webrtc.RTPCodecTypeAudio {
			st.Audio = prev.Audio
			a, ok := k.audio.Update(stats.AudioCounters{
				Time: now, HasTrack: true, PairRTT: pairRTT,
				Bytes: r.InboundRTPStreamStats.BytesReceived, Packets: r.InboundRTPStreamStats.PacketsReceived, PacketsLost: lost, Samples: c.Samples,
			})
			if ok {
				st.Audio = a
				if stats.Distorted("audio", a.Rate) {
					distorted = append(distorted, k.mtid)
				}
			}
			continue
		}
		st.Video = prev.Video
		v, ok := k.video.Update(stats.VideoCounters{
			Time: now, HasTrack: true, PairRTT: pairRTT,
			Layers: []stats.VideoLayerCounters{{
				ID:    strconv.FormatUint(uint64(ssrc), 10),
				Bytes: r.InboundRTPStreamStats.BytesReceived, Packets: r.InboundRTPStreamStats.PacketsReceived, PacketsLost: lost, Frames: c.Frames,
				Width: int(k.size.Load() >> 16), Height: int(k.size.Load() & 0xffff),
			}},
		})
		if ok {
			st.Video = v
			if stats.Distorted("video", v.Rate) {
				distorted = append(distorted, k.mtid)
			}
		}
	}
	return st, distorted
}

// Statistics returns the latest session statistics (protocol §6.2): the
// selected candidate pair, or stats.None values before the first
// connection and after the session ended. A signalling-only session
// always reports stats.None values.
func (s *Session) Statistics() stats.Session {
	if m := s.a.media; m != nil { // set before the actor starts, never changed
		if p := m.sessionStats.Load(); p != nil {
			return *p
		}
	}
	return stats.NoSession(time.Time{})
}

// PublicationStatistics returns the latest statistics of the local
// primary (secondary false) or secondary stream, and false when it is not
// published.
func (s *Session) PublicationStatistics(secondary bool) (event.StreamStatistics, bool) {
	m := s.a.media // set before the actor starts, never changed
	if m == nil {
		return event.StreamStatistics{}, false
	}
	i := 0
	if secondary {
		i = 1
	}
	p := m.pubStats[i].Load()
	if p == nil {
		return event.StreamStatistics{}, false
	}
	return *p, true
}
