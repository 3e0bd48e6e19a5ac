package media

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/pion/webrtc/v4"
	pionmedia "github.com/pion/webrtc/v4/pkg/media"
)

// SampleWriter receives the samples a [Source] plays. A
// *webrtc.TrackLocalStaticSample is one.
//
// The Data of a sample is shared between runs of the same source: a
// SampleWriter must not modify it, nor keep it after WriteSample returns.
type SampleWriter interface {
	WriteSample(sample pionmedia.Sample) error
}

// SampleWriterFunc adapts a function to a [SampleWriter].
type SampleWriterFunc func(sample pionmedia.Sample) error

// WriteSample calls f(sample).
func (f SampleWriterFunc) WriteSample(sample pionmedia.Sample) error { return f(sample) }

// Source is one track of encoded media.
//
// Run writes the media to w, one sample per video frame or audio packet,
// with each sample's Duration set. It blocks until the media ends (never,
// when the source loops), w fails, or ctx ends, and returns nil, the
// writer's error wrapped, or ctx.Err() respectively. Implementations in this
// package allow several Runs of one source at once, each from the start.
type Source interface {
	// Codec describes the encoding of the samples.
	Codec() webrtc.RTPCodecCapability
	// Kind says whether the source is audio or video.
	Kind() webrtc.RTPCodecType
	// Run plays the media into w.
	Run(ctx context.Context, w SampleWriter) error
}

// VideoSource is a video [Source] that knows the size of its pictures,
// which planning simulcast layers needs (protocol §4.8).
type VideoSource interface {
	Source
	// Size returns the picture size in pixels, or zeros when unknown.
	Size() (width, height int)
}

// Pace selects how a source spaces its samples in wall-clock time.
type Pace int

const (
	// PaceRealTime writes each sample when it is due, measured from the
	// first sample, so a second of media takes a second. It is the default.
	// Deadlines do not accumulate error: if the writer falls more than a
	// second behind, the schedule restarts from now instead of bursting.
	PaceRealTime Pace = iota
	// PaceNone writes samples as fast as the writer accepts them; for
	// tests and for converting files.
	PaceNone
)

// Options configures a file source. The zero value, and a nil *Options,
// play the media once in real time.
type Options struct {
	// Loop restarts the media from its beginning when it ends, until the
	// context of Run ends. The media timeline keeps increasing.
	Loop bool
	// Pace spaces the samples; the default is PaceRealTime.
	Pace Pace
	// FrameRate is the frame rate of H.264 sources in frames per second,
	// since Annex-B stores no timing. Zero means 30. Other formats ignore it.
	FrameRate float64
}

// maxInput bounds what a file source loads into memory.
const maxInput = 256 << 20

// maxLag is how far behind its schedule a real-time run may fall before
// the schedule restarts.
const maxLag = time.Second

// frame is one sample of a Clip.
type frame struct {
	data     []byte
	duration time.Duration
	key      bool
}

// Clip is a [Source] read completely into memory: a VP8, Opus or H.264
// file, or media embedded in this package. It is immutable, safe for
// concurrent use, and may be run any number of times.
type Clip struct {
	codec     webrtc.RTPCodecCapability
	width     int
	height    int
	channels  int
	frames    []frame
	duration  time.Duration
	bytes     int64
	keyframes int
	declared  int
	opts      Options
}

// Info describes a media file or a [Clip].
type Info struct {
	// MimeType is the codec, such as "video/VP8".
	MimeType string
	// Width and Height are the picture size in pixels (video only).
	Width, Height int
	// Channels is the channel count from the Opus header (audio only).
	Channels int
	// Frames counts video frames or audio packets.
	Frames int
	// Keyframes counts the frames a decoder can start from (video only).
	Keyframes int
	// DeclaredFrames is the frame count stored in an IVF file header,
	// which a recorder updates when it closes; zero for other formats.
	DeclaredFrames int
	// Duration is the sum of the frame durations.
	Duration time.Duration
	// Bytes is the encoded size of all frames, without container overhead.
	Bytes int64
}

// Bitrate returns the average encoded bitrate in bits per second, or zero
// for empty media.
func (i Info) Bitrate() int {
	if i.Duration <= 0 {
		return 0
	}

	return int(float64(i.Bytes) * 8 / i.Duration.Seconds())
}

// Codec describes the encoding of the samples.
func (c *Clip) Codec() webrtc.RTPCodecCapability {
	codec := c.codec
	codec.RTCPFeedback = append([]webrtc.RTCPFeedback(nil), c.codec.RTCPFeedback...)

	return codec
}

// Kind says whether the clip is audio or video.
func (c *Clip) Kind() webrtc.RTPCodecType { return KindOf(c.codec.MimeType) }

// Size returns the picture size in pixels; zeros for audio.
func (c *Clip) Size() (width, height int) { return c.width, c.height }

// Info describes the clip.
func (c *Clip) Info() Info {
	return Info{
		MimeType:       c.codec.MimeType,
		Width:          c.width,
		Height:         c.height,
		Channels:       c.channels,
		Frames:         len(c.frames),
		Keyframes:      c.keyframes,
		DeclaredFrames: c.declared,
		Duration:       c.duration,
		Bytes:          c.bytes,
	}
}

// WithOptions returns a copy of the clip that plays with opts (nil means
// defaults). The copy shares the media, so it costs no memory. FrameRate
// has no effect here: H.264 timing is fixed when the file is read.
func (c *Clip) WithOptions(opts *Options) *Clip {
	clip := *c
	clip.opts = optionsOrDefault(opts)

	return &clip
}

// Run plays the clip into w as described by [Source], honouring the
// clip's Options.
func (c *Clip) Run(ctx context.Context, w SampleWriter) error {
	if w == nil {
		return fmt.Errorf("%w: nil sample writer", ErrInvalidArgument)
	}

	p := pacer{pace: c.opts.Pace}
	defer p.stop()

	var at time.Duration
	for {
		for _, f := range c.frames {
			if err := p.wait(ctx, at); err != nil {
				return err
			}

			sample := pionmedia.Sample{Data: f.data, Duration: f.duration}
			if err := w.WriteSample(sample); err != nil {
				return fmt.Errorf("media: write %s sample: %w", c.codec.MimeType, err)
			}

			at += f.duration
		}

		if !c.opts.Loop {
			return nil
		}
	}
}

// pacer waits until the media time of the next sample is due. It belongs
// to one Run.
type pacer struct {
	pace    Pace
	started bool
	start   time.Time
	timer   *time.Timer
}

func (p *pacer) wait(ctx context.Context, at time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}

	if p.pace == PaceNone {
		return nil
	}

	now := time.Now()
	if !p.started {
		p.started, p.start = true, now.Add(-at)

		return nil
	}

	delay := p.start.Add(at).Sub(now)
	if delay <= 0 {
		if -delay > maxLag {
			p.start = now.Add(-at)
		}

		return nil
	}

	if p.timer == nil {
		p.timer = time.NewTimer(delay)
	} else {
		p.timer.Reset(delay)
	}

	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-p.timer.C:
		return nil
	}
}

func (p *pacer) stop() {
	if p.timer != nil {
		p.timer.Stop()
	}
}

func optionsOrDefault(opts *Options) Options {
	if opts == nil {
		return Options{}
	}

	return *opts
}

// readInput reads all of r, refusing more than maxInput bytes.
func readInput(r io.Reader) ([]byte, error) {
	if r == nil {
		return nil, fmt.Errorf("%w: nil reader", ErrInvalidArgument)
	}

	data, err := io.ReadAll(io.LimitReader(r, maxInput+1))
	if err != nil {
		return nil, fmt.Errorf("media: read input: %w", err)
	}

	if len(data) > maxInput {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, maxInput)
	}

	return data, nil
}

// openInput reads the file at path through readInput.
func openInput(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("media: open: %w", err)
	}
	defer f.Close()

	data, err := readInput(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}

	return data, nil
}
