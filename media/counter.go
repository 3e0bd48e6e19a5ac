package media

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// Counts is a snapshot of what a [Counter] has seen.
type Counts struct {
	// Packets counts RTP packets, padding-only ones included.
	Packets uint64
	// Bytes counts RTP payload bytes (headers and padding excluded).
	Bytes uint64
	// Frames counts video frames, or audio packets for audio.
	Frames uint64
	// Samples counts decoded audio samples at 48 kHz, from the Opus
	// table-of-contents byte of each packet; zero for other codecs.
	Samples uint64
}

// Counter is a [Sink] that counts packets, payload bytes and frames, then
// passes each packet on to the next sink, if any. Its counts may be read
// from any goroutine while packets are written.
//
// A video frame is counted at its first packet, recognised by a change of
// RTP timestamp (or of SSRC), so a frame whose last packet was lost still
// counts, while a packet reordered across a frame boundary counts one
// frame too many. Audio counts each packet with a payload as a frame.
type Counter struct {
	next  Sink
	video bool
	opus  bool

	packets atomic.Uint64
	bytes   atomic.Uint64
	frames  atomic.Uint64
	samples atomic.Uint64
	closed  atomic.Bool

	mu       sync.Mutex // guards the frame boundary state below
	seen     bool
	lastSSRC uint32
	lastTS   uint32
}

// NewCounter returns a Counter for a track of the given codec (a MIME type
// such as webrtc.MimeTypeVP8) that forwards packets to next; next may be
// nil. Close closes next.
func NewCounter(mimeType string, next Sink) *Counter {
	return &Counter{
		next:  next,
		video: KindOf(mimeType) == webrtc.RTPCodecTypeVideo,
		opus:  strings.EqualFold(mimeType, webrtc.MimeTypeOpus),
	}
}

// WriteRTP counts the packet and passes it on. After Close it counts
// nothing and returns [ErrClosed].
func (c *Counter) WriteRTP(packet *rtp.Packet) error {
	if packet == nil {
		return fmt.Errorf("%w: nil packet", ErrInvalidArgument)
	}

	if c.closed.Load() {
		return ErrClosed
	}

	c.packets.Add(1)
	c.bytes.Add(uint64(len(packet.Payload)))

	if len(packet.Payload) > 0 {
		c.countFrame(packet)
	}

	if c.next == nil {
		return nil
	}

	return c.next.WriteRTP(packet)
}

func (c *Counter) countFrame(packet *rtp.Packet) {
	if !c.video {
		c.frames.Add(1)
		if c.opus {
			if n, err := opusSamples(packet.Payload); err == nil {
				c.samples.Add(uint64(n))
			}
		}

		return
	}

	c.mu.Lock()
	isNew := !c.seen || packet.Timestamp != c.lastTS || packet.SSRC != c.lastSSRC
	c.seen, c.lastTS, c.lastSSRC = true, packet.Timestamp, packet.SSRC
	c.mu.Unlock()

	if isNew {
		c.frames.Add(1)
	}
}

// Counters returns the counts so far.
func (c *Counter) Counters() Counts {
	return Counts{
		Packets: c.packets.Load(),
		Bytes:   c.bytes.Load(),
		Frames:  c.frames.Load(),
		Samples: c.samples.Load(),
	}
}

// Close stops counting and closes the next sink.
func (c *Counter) Close() error {
	if c.closed.Swap(true) || c.next == nil {
		return nil
	}

	return c.next.Close()
}
