package media

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
	pionmedia "github.com/pion/webrtc/v4/pkg/media"
	"github.com/pion/webrtc/v4/pkg/media/h264writer"
	"github.com/pion/webrtc/v4/pkg/media/ivfwriter"
	"github.com/pion/webrtc/v4/pkg/media/oggwriter"
)

// Sink consumes the RTP packets of one received track, such as the packets
// read from a *webrtc.TrackRemote. Pion's media.Writer has the same shape.
//
// Sinks in this package are safe for concurrent use: Close may run while
// another goroutine is in WriteRTP; writes after Close return [ErrClosed].
// A sink must not modify or keep the packets it is given.
type Sink interface {
	// WriteRTP consumes one packet.
	WriteRTP(packet *rtp.Packet) error
	// Close releases the sink; calling it again does nothing.
	Close() error
}

// SinkFunc adapts a function to a [Sink] whose Close does nothing. The
// function is called for every packet, from the writer's goroutine.
type SinkFunc func(packet *rtp.Packet) error

// WriteRTP calls f(packet).
func (f SinkFunc) WriteRTP(packet *rtp.Packet) error { return f(packet) }

// Close does nothing.
func (f SinkFunc) Close() error { return nil }

// Tee returns a [Sink] that writes every packet to each of sinks in order,
// and closes them all on Close. Errors of the sinks are joined; one sink's
// error does not keep a packet from the others.
func Tee(sinks ...Sink) Sink {
	return &tee{sinks: append([]Sink(nil), sinks...)}
}

type tee struct {
	sinks []Sink
}

func (t *tee) WriteRTP(packet *rtp.Packet) error {
	var errs []error
	for _, s := range t.sinks {
		if err := s.WriteRTP(packet); err != nil {
			errs = append(errs, err)
		}
	}

	return errors.Join(errs...)
}

func (t *tee) Close() error {
	var errs []error
	for _, s := range t.sinks {
		if err := s.Close(); err != nil {
			errs = append(errs, err)
		}
	}

	return errors.Join(errs...)
}

// Recorder is a [Sink] that writes the media of one track into a file
// container, using pion's writers: VP8 into IVF, Opus into Ogg, H.264 into
// an Annex-B stream. Video recording starts at the first keyframe.
// Packets must arrive in order: a Recorder does not reorder or wait for
// lost packets, so loss shows up as damaged frames.
//
// Close finishes the file: an IVF recording gets its frame count and the
// picture size of its first keyframe written into the file header (when
// the output can seek), an Ogg recording its end-of-stream page.
type Recorder struct {
	mu     sync.Mutex // guards everything below
	writer pionmedia.Writer
	closed bool
	size   *ivfSize // IVF only
}

// CreateRecording creates the file at path and returns a Recorder for a
// track of the given codec (a MIME type such as webrtc.MimeTypeVP8):
// VP8 is written as IVF, Opus as Ogg, H.264 as Annex-B. Other codecs give
// [ErrUnsupportedCodec].
func CreateRecording(path, mimeType string) (*Recorder, error) {
	switch {
	case strings.EqualFold(mimeType, webrtc.MimeTypeVP8):
		return CreateIVF(path)
	case strings.EqualFold(mimeType, webrtc.MimeTypeOpus):
		return CreateOgg(path)
	case strings.EqualFold(mimeType, webrtc.MimeTypeH264):
		return CreateH264(path)
	default:
		return nil, fmt.Errorf("%w: cannot record %q", ErrUnsupportedCodec, mimeType)
	}
}

// CreateIVF creates the file at path and returns a Recorder that writes VP8
// into it as IVF, with the 90 kHz RTP timestamps as frame timestamps.
func CreateIVF(path string) (*Recorder, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("media: create recording: %w", err)
	}

	r, err := NewIVFRecorder(f)
	if err != nil {
		return nil, errors.Join(err, f.Close())
	}

	return r, nil
}

// NewIVFRecorder returns a Recorder that writes VP8 as IVF to w. When w is
// an io.WriteSeeker, Close updates the header; when it is an io.Closer,
// Close closes it.
func NewIVFRecorder(w io.Writer) (*Recorder, error) {
	if w == nil {
		return nil, fmt.Errorf("%w: nil writer", ErrInvalidArgument)
	}

	size := &ivfSize{out: w}

	writer, err := ivfwriter.NewWith(size.target(),
		ivfwriter.WithCodec(webrtc.MimeTypeVP8),
		ivfwriter.WithFrameRate(1, 90000), // one unit per RTP tick
		ivfwriter.WithDirectPTS(),
	)
	if err != nil {
		return nil, fmt.Errorf("media: start IVF recording: %w", err)
	}

	return &Recorder{writer: writer, size: size}, nil
}

// CreateOgg creates the file at path and returns a Recorder that writes
// Opus into it as Ogg, declared as 48 kHz stereo (WebRTC's Opus format).
func CreateOgg(path string) (*Recorder, error) {
	writer, err := oggwriter.New(path, 48000, 2)
	if err != nil {
		return nil, fmt.Errorf("media: create recording: %w", err)
	}

	return &Recorder{writer: writer}, nil
}

// NewOggRecorder returns a Recorder that writes Opus as Ogg to w. Without
// a file to rewrite, the last page is not marked as the end of the stream,
// which players accept. Close closes w when it is an io.Closer.
func NewOggRecorder(w io.Writer) (*Recorder, error) {
	if w == nil {
		return nil, fmt.Errorf("%w: nil writer", ErrInvalidArgument)
	}

	writer, err := oggwriter.NewWith(w, 48000, 2)
	if err != nil {
		return nil, fmt.Errorf("media: start Ogg recording: %w", err)
	}

	return &Recorder{writer: writer}, nil
}

// CreateH264 creates the file at path and returns a Recorder that writes
// H.264 into it as an Annex-B stream.
func CreateH264(path string) (*Recorder, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("media: create recording: %w", err)
	}

	return NewH264Recorder(f)
}

// NewH264Recorder returns a Recorder that writes H.264 as Annex-B to w.
// Close closes w when it is an io.Closer.
func NewH264Recorder(w io.Writer) (*Recorder, error) {
	if w == nil {
		return nil, fmt.Errorf("%w: nil writer", ErrInvalidArgument)
	}

	return &Recorder{writer: h264writer.NewWith(w)}, nil
}

// WriteRTP adds a packet to the recording. An error about one packet
// (a malformed payload) leaves the recorder usable.
func (r *Recorder) WriteRTP(packet *rtp.Packet) error {
	if packet == nil {
		return fmt.Errorf("%w: nil packet", ErrInvalidArgument)
	}

	r.mu.Lock()
	defer r.mu.Unlock()

	if r.closed {
		return ErrClosed
	}

	if r.size != nil {
		r.size.observe(packet)
	}

	if err := r.writer.WriteRTP(packet); err != nil {
		return fmt.Errorf("media: record packet: %w", err)
	}

	return nil
}

// Close finishes and closes the recording.
func (r *Recorder) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()

	if r.closed {
		return nil
	}
	r.closed = true

	err := r.writer.Close()
	if r.size != nil {
		err = errors.Join(err, r.size.finish())
	}

	if err != nil {
		return fmt.Errorf("media: close recording: %w", err)
	}

	return nil
}

// ivfSize learns the picture size from the first VP8 keyframe and writes
// it into the IVF header on close; pion's writer only knows a fixed size.
// It hides the output's Close from pion's writer, so that the header can
// still be patched after pion has written the frame count.
type ivfSize struct {
	out           io.Writer
	width, height int
}

// target is what pion's writer writes to: a WriteSeeker when out is one,
// never a Closer.
func (s *ivfSize) target() io.Writer {
	if ws, ok := s.out.(io.WriteSeeker); ok {
		return struct{ io.WriteSeeker }{ws}
	}

	return struct{ io.Writer }{s.out}
}

func (s *ivfSize) observe(packet *rtp.Packet) {
	if s.width != 0 {
		return
	}

	var vp8 codecs.VP8Packet
	if _, err := vp8.Unmarshal(packet.Payload); err != nil || vp8.S != 1 || vp8.PID != 0 {
		return
	}

	if w, h, ok := VP8KeyframeSize(vp8.Payload); ok {
		s.width, s.height = w, h
	}
}

func (s *ivfSize) finish() error {
	var err error
	if ws, ok := s.out.(io.WriteSeeker); ok && s.width != 0 {
		header := []byte{
			byte(s.width), byte(s.width >> 8), byte(s.height), byte(s.height >> 8),
		}

		if _, err = ws.Seek(12, io.SeekStart); err == nil {
			_, err = ws.Write(header)
		}
	}

	if c, ok := s.out.(io.Closer); ok {
		err = errors.Join(err, c.Close())
	}

	return err
}
