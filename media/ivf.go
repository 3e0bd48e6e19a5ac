package media

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/pion/webrtc/v4/pkg/media/ivfreader"
)

const (
	ivfFileHeaderSize  = 32
	ivfFrameHeaderSize = 12

	// maxFrameDuration bounds the gap between two frames or packets, so
	// that a corrupt timestamp cannot stall a source for hours.
	maxFrameDuration = 10 * time.Second
	// defaultFrameDuration is used for a lone frame with no usable timing.
	defaultFrameDuration = time.Second / 30
)

// OpenIVF reads a VP8 IVF file into a [Clip]. See [NewIVFSource].
func OpenIVF(path string, opts *Options) (*Clip, error) {
	data, err := openInput(path)
	if err != nil {
		return nil, err
	}

	clip, err := parseIVF(data, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}

	return clip, nil
}

// NewIVFSource reads VP8 in an IVF container from r into a [Clip]. Frame
// durations come from the frame timestamps and the file's time base; the
// size comes from the file header. The media must hold at least one
// keyframe; other codecs (VP9, AV1) give [ErrUnsupportedCodec].
func NewIVFSource(r io.Reader, opts *Options) (*Clip, error) {
	data, err := readInput(r)
	if err != nil {
		return nil, err
	}

	return parseIVF(data, opts)
}

func parseIVF(data []byte, opts *Options) (*Clip, error) {
	br := bytes.NewReader(data)

	reader, header, err := ivfreader.NewWith(br)
	if err != nil {
		return nil, fmt.Errorf("%w: IVF header: %w", ErrInvalidMedia, err)
	}

	if header.FourCC != "VP80" {
		return nil, fmt.Errorf("%w: IVF holds %q, only VP8 (VP80) is supported",
			ErrUnsupportedCodec, header.FourCC)
	}

	// Seconds per timestamp unit: numerator / denominator.
	unit := float64(header.TimebaseNumerator) / float64(header.TimebaseDenominator)

	clip := &Clip{
		codec:    VP8Codec(),
		width:    int(header.Width),
		height:   int(header.Height),
		declared: int(header.NumFrames),
		opts:     optionsOrDefault(opts),
	}

	var stamps []time.Duration
	for index := 0; br.Len() > 0; index++ {
		// Check the frame header against the bytes left before handing it
		// to the reader, which would otherwise allocate whatever size a
		// corrupt header claims.
		offset := len(data) - br.Len()
		if br.Len() < ivfFrameHeaderSize {
			return nil, fmt.Errorf("%w: IVF frame %d: truncated header", ErrInvalidMedia, index)
		}

		size := binary.LittleEndian.Uint32(data[offset:])
		if int64(size) > int64(br.Len()-ivfFrameHeaderSize) {
			return nil, fmt.Errorf("%w: IVF frame %d: %d bytes declared, %d left",
				ErrInvalidMedia, index, size, br.Len()-ivfFrameHeaderSize)
		}

		pts := binary.LittleEndian.Uint64(data[offset+4:])

		payload, _, err := reader.ParseNextFrame()
		if err != nil {
			return nil, fmt.Errorf("%w: IVF frame %d: %w", ErrInvalidMedia, index, err)
		}

		if len(payload) == 0 {
			continue // a dropped frame: the previous one lasts longer
		}

		key, err := checkVP8Frame(payload)
		if err != nil {
			return nil, fmt.Errorf("%w: IVF frame %d: %w", ErrInvalidMedia, index, err)
		}

		stamp := float64(pts) * unit
		if stamp > maxInputDuration.Seconds() {
			return nil, fmt.Errorf("%w: IVF frame %d: timestamp out of range", ErrInvalidMedia, index)
		}

		clip.frames = append(clip.frames, frame{data: payload, key: key})
		stamps = append(stamps, time.Duration(math.Round(stamp*float64(time.Second))))
	}

	if err := clip.setDurations(stamps, frameDurationFromRate(unit)); err != nil {
		return nil, fmt.Errorf("%w: IVF: %w", ErrInvalidMedia, err)
	}

	if err := clip.finish(); err != nil {
		return nil, fmt.Errorf("read IVF: %w", err)
	}

	return clip, nil
}

// maxInputDuration bounds timestamps read from files.
const maxInputDuration = 1000 * time.Hour

// frameDurationFromRate returns the time base as a frame duration when it
// looks like one (ffmpeg writes 1/fps), else a default for 30 fps.
func frameDurationFromRate(unit float64) time.Duration {
	d := time.Duration(unit * float64(time.Second))
	if d >= time.Millisecond && d <= time.Second {
		return d
	}

	return defaultFrameDuration
}

// checkVP8Frame validates the frame tag of a VP8 frame (RFC 6386 §9.1) and
// says whether it is a keyframe.
func checkVP8Frame(payload []byte) (bool, error) {
	if len(payload) < 3 {
		return false, fmt.Errorf("VP8 frame of %d bytes", len(payload))
	}

	key := payload[0]&0x01 == 0
	if !key {
		return false, nil
	}

	if len(payload) < 10 || payload[3] != 0x9d || payload[4] != 0x01 || payload[5] != 0x2a {
		return false, errBadVP8Keyframe
	}

	return true, nil
}

// vp8KeyframeSize returns the picture size stored in a VP8 keyframe.
func VP8KeyframeSize(payload []byte) (width, height int, ok bool) {
	if key, err := checkVP8Frame(payload); err != nil || !key {
		return 0, 0, false
	}

	width = int(binary.LittleEndian.Uint16(payload[6:]) & 0x3fff)
	height = int(binary.LittleEndian.Uint16(payload[8:]) & 0x3fff)

	return width, height, true
}

// setDurations turns the start time of each frame into frame durations;
// the last frame lasts as long as the one before it, or last when alone.
func (c *Clip) setDurations(stamps []time.Duration, last time.Duration) error {
	for i := range c.frames {
		d := last
		switch {
		case i+1 < len(stamps):
			d = stamps[i+1] - stamps[i]
		case i > 0:
			d = c.frames[i-1].duration
		}

		if d <= 0 || d > maxFrameDuration {
			return fmt.Errorf("frame %d: timestamps do not increase steadily (%v)", i, d)
		}

		c.frames[i].duration = d
	}

	return nil
}

// finish computes the clip totals and checks that it can be played.
func (c *Clip) finish() error {
	if len(c.frames) == 0 {
		return fmt.Errorf("%w: no frames", ErrInvalidMedia)
	}

	for _, f := range c.frames {
		c.duration += f.duration
		c.bytes += int64(len(f.data))
		if f.key {
			c.keyframes++
		}
	}

	if KindOf(c.codec.MimeType) == videoKind && c.keyframes == 0 {
		return fmt.Errorf("%w: no keyframe", ErrInvalidMedia)
	}

	return nil
}
