package stats

import "time"

// Direction says whether a stream is sent (local) or received (remote).
type Direction int

// The two directions of a stream.
const (
	// Received streams: the conference stream and participants' streams.
	Received Direction = iota + 1
	// Sent streams: the local participant's publications.
	Sent
)

// AudioCounters is one sample of the cumulative counters of an audio stream.
type AudioCounters struct {
	// Time the sample was taken.
	Time time.Time
	// HasTrack says whether the stream has an audio track at all. Without
	// one, the computed figures are all zero.
	HasTrack bool
	// PairRTT is the selected candidate pair's current round-trip time in
	// seconds (0 when unknown).
	PairRTT float64
	// RemoteRTT is the round-trip time in seconds reported by the remote
	// side for a sent stream (remote-inbound), 0 when unknown.
	RemoteRTT float64
	// Bytes sent or received.
	Bytes uint64
	// Packets sent or received.
	Packets uint64
	// PacketsLost: lost packets reported by the receiver (remote-inbound
	// for a sent stream).
	PacketsLost uint64
	// JitterBufferDelay (seconds) and JitterBufferEmitted (samples) of a
	// received stream; zero when not measured.
	JitterBufferDelay   float64
	JitterBufferEmitted uint64
	// Samples is the number of audio samples sent or played out (received
	// minus concealed). Zero when not measured: the rate then falls back to
	// 48 samples per elapsed millisecond whenever packets moved.
	Samples uint64
	// Level is the current audio level between 0 and 1.
	Level float64
}

// AudioMeter turns successive [AudioCounters] into [Audio] figures. The
// zero value is ready for a received stream; set Direction for a sent one.
// A meter is not safe for concurrent use; the session's actor owns it.
type AudioMeter struct {
	Direction Direction
	base      *AudioCounters
}

// Reset forgets the baseline: the next sample only records a new one.
func (m *AudioMeter) Reset() { m.base = nil }

// Update takes a new sample. It returns false when the sample only set the
// baseline (the first one after creation or Reset).
func (m *AudioMeter) Update(c AudioCounters) (Audio, bool) {
	prev := m.base
	cur := c
	m.base = &cur
	if prev == nil {
		return Audio{}, false
	}
	if !c.HasTrack {
		return Audio{Timestamp: c.Time}, true
	}
	dt := c.Time.Sub(prev.Time).Seconds()
	if dt <= 0 {
		return Audio{Timestamp: c.Time, RTT: rttMillis(c.PairRTT, c.RemoteRTT, m.Direction == Sent, true)}, true
	}
	packets := delta(c.Packets, prev.Packets)
	lost := delta(c.PacketsLost, prev.PacketsLost)
	a := Audio{
		Timestamp: c.Time,
		RTT:       rttMillis(c.PairRTT, c.RemoteRTT, m.Direction == Sent, true),
		Bitrate:   whole(delta(c.Bytes, prev.Bytes) * 8 / dt),
		Losses:    whole(ratio(lost*100, packets+lost)),
		Level:     whole(c.Level * 100),
	}
	if m.Direction == Received {
		a.Delay = whole(ratio(deltaF(c.JitterBufferDelay, prev.JitterBufferDelay)*1000,
			delta(c.JitterBufferEmitted, prev.JitterBufferEmitted)))
	}
	samples := delta(c.Samples, prev.Samples)
	switch {
	case samples > 0:
		a.Rate = whole(samples / dt)
	case packets > 0:
		// 48 samples for every elapsed millisecond: the Opus clock.
		a.Rate = 48000
	}
	return a, true
}

// VideoLayerCounters is one sample of the cumulative counters of one video
// layer: one of up to three simulcast encodings of a sent stream, or the one
// received stream.
type VideoLayerCounters struct {
	// ID identifies the layer across samples (the rid or the SSRC).
	ID string
	// Bytes sent or received.
	Bytes uint64
	// Packets sent or received.
	Packets uint64
	// PacketsLost reported by the receiver.
	PacketsLost uint64
	// SendDelay is the total time packets waited before being sent, in
	// seconds (sent layers only; zero when not measured).
	SendDelay float64
	// JitterBufferDelay (seconds) and JitterBufferEmitted (frames) of a
	// received stream; zero when not measured.
	JitterBufferDelay   float64
	JitterBufferEmitted uint64
	// Frames sent, or received and not dropped.
	Frames uint64
	// Width and Height of the latest frame, 0 when unknown.
	Width  int
	Height int
}

// VideoCounters is one sample of the cumulative counters of a video stream.
type VideoCounters struct {
	// Time the sample was taken.
	Time time.Time
	// HasTrack says whether the stream has a video track at all.
	HasTrack bool
	// TrackWidth and TrackHeight are the track's own frame size, used when
	// the layers report none.
	TrackWidth  int
	TrackHeight int
	// PairRTT and RemoteRTT as in [AudioCounters].
	PairRTT   float64
	RemoteRTT float64
	// Layers holds one entry per simulcast layer of a sent stream, or one
	// entry for a received stream.
	Layers []VideoLayerCounters
}

// VideoMeter turns successive [VideoCounters] into [Video] figures. The zero
// value is ready for a received stream; set Direction for a sent one. A
// meter is not safe for concurrent use.
type VideoMeter struct {
	Direction Direction
	base      *VideoCounters
}

// Reset forgets the baseline: the next sample only records a new one.
func (m *VideoMeter) Reset() { m.base = nil }

// Update takes a new sample. It returns false when the sample only set the
// baseline.
func (m *VideoMeter) Update(c VideoCounters) (Video, bool) {
	prev := m.base
	cur := c
	cur.Layers = append([]VideoLayerCounters(nil), c.Layers...)
	m.base = &cur
	if prev == nil {
		return Video{}, false
	}
	if !c.HasTrack {
		return Video{Timestamp: c.Time}, true
	}
	v := Video{Timestamp: c.Time, RTT: rttMillis(c.PairRTT, c.RemoteRTT, m.Direction == Sent, true)}
	dt := c.Time.Sub(prev.Time).Seconds()
	if dt > 0 {
		var bytes, packets, lost, sendDelay, jbDelay, jbEmitted float64
		var best *VideoLayerCounters
		var bestFrames float64
		for i := range c.Layers {
			l := &c.Layers[i]
			p := findLayer(prev.Layers, l.ID)
			bytes += delta(l.Bytes, p.Bytes)
			packets += delta(l.Packets, p.Packets)
			lost += delta(l.PacketsLost, p.PacketsLost)
			sendDelay += deltaF(l.SendDelay, p.SendDelay)
			jbDelay += deltaF(l.JitterBufferDelay, p.JitterBufferDelay)
			jbEmitted += delta(l.JitterBufferEmitted, p.JitterBufferEmitted)
			frames := delta(l.Frames, p.Frames)
			if m.Direction == Received || frames > 0 {
				if best == nil || l.Width*l.Height > best.Width*best.Height {
					best, bestFrames = l, frames
				}
			}
		}
		v.Bitrate = whole(bytes * 8 / dt)
		v.Losses = whole(ratio(lost*100, packets+lost))
		if m.Direction == Sent {
			v.Delay = whole(ratio(sendDelay*1000, packets))
		} else {
			v.Delay = whole(ratio(jbDelay*1000, jbEmitted))
		}
		if best != nil {
			v.Width, v.Height = best.Width, best.Height
			v.Rate = whole(bestFrames / dt)
		}
	}
	if v.Width == 0 || v.Height == 0 {
		v.Width, v.Height = c.TrackWidth, c.TrackHeight
	}
	return v, true
}

// findLayer returns the layer with the given ID, or a zero layer (a layer
// that appeared since the last sample counts from zero).
func findLayer(layers []VideoLayerCounters, id string) VideoLayerCounters {
	for _, l := range layers {
		if l.ID == id {
			return l
		}
	}
	return VideoLayerCounters{ID: id}
}
