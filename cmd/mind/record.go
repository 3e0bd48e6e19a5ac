package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/mindsdk/mindgo/media"
)

// fileSink is a media.Sink that records one received track into a file it
// creates at the first packet, so a stream that never carries a kind
// leaves no empty file behind.
//
// Sinks see RTP packets only, not the negotiated codec. Audio is always
// Opus (the protocol has no other audio codec); for video the first
// packet's payload decides between VP8 and H.264 (see guessVideoCodec).
type fileSink struct {
	// base is the path without extension.
	base  string
	audio bool

	mu     sync.Mutex
	rec    *media.Recorder
	path   string
	err    error
	closed bool
}

func newFileSink(base string, audio bool) *fileSink {
	return &fileSink{base: base, audio: audio}
}

// WriteRTP records the packet, creating the file first if needed.
func (f *fileSink) WriteRTP(p *rtp.Packet) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return media.ErrClosed
	}
	if f.err != nil {
		return f.err
	}
	if f.rec == nil {
		if len(p.Payload) == 0 {
			return nil // padding: nothing to learn the codec from
		}
		mime, ext := webrtc.MimeTypeOpus, ".ogg"
		if !f.audio {
			mime, ext = guessVideoCodec(p.Payload)
		}
		path := f.base + ext
		rec, err := media.CreateRecording(path, mime)
		if err != nil {
			f.err = err
			return err
		}
		f.rec, f.path = rec, path
	}
	return f.rec.WriteRTP(p)
}

// Close finishes the file, if one was created.
func (f *fileSink) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil
	}
	f.closed = true
	if f.rec != nil {
		return f.rec.Close()
	}
	return nil
}

// file returns the path of the file written, or "" when no packet came.
func (f *fileSink) file() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.path
}

// guessVideoCodec tells H.264 from VP8 by the first byte of an RTP payload.
// An H.264 payload starts with a NAL unit header whose top bit is zero and
// whose type is a picture, a parameter set, an access unit delimiter, SEI,
// STAP-A or FU-A. A VP8 payload descriptor of a WebRTC sender has its
// extension bit (the top bit) set, or else starts a partition with values
// that are no such NAL type. A VP8 descriptor without extension that starts
// partition 1 to 7 could be mistaken; senders in practice set the
// extension bit, pion's included.
func guessVideoCodec(payload []byte) (mime, ext string) {
	b := payload[0]
	if b&0x80 == 0 {
		switch b & 0x1f {
		case 1, 5, 6, 7, 8, 9, 24, 28:
			return webrtc.MimeTypeH264, ".h264"
		}
	}
	return webrtc.MimeTypeVP8, ".ivf"
}

// fileStem returns a path in dir for a stream, without kind and
// extension, that no other stream of this run uses: DIR/<label>, with
// "-2", "-3", ... appended when the stream was already recorded. The
// stream's files are <stem>-audio.* and <stem>-video.*.
func fileStem(dir, label string, used map[string]bool) string {
	name := sanitize(label)
	stem := filepath.Join(dir, name)
	for i := 2; used[stem]; i++ {
		stem = filepath.Join(dir, fmt.Sprintf("%s-%d", name, i))
	}
	used[stem] = true
	return stem
}

// fileBase returns a path in dir for one kind of a stream, without
// extension, that no other file of this run uses: DIR/<label>-<kind>, with
// "-2", "-3", ... appended when it was already used.
func fileBase(dir, label, kind string, used map[string]bool) string {
	return fileStem(dir, label+"-"+kind, used)
}

// sanitize keeps ASCII letters, digits, '-' and '_', turns the '#' of
// stream labels into '-' and anything else into '_', so that a participant
// name can name a file.
func sanitize(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		case r == '#':
			return '-'
		}
		return '_'
	}, s)
	if s == "" {
		return "stream"
	}
	return s
}

// ensureDir creates dir if it does not exist.
func ensureDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--record: %w", err)
	}
	return nil
}

// checkRecordDir makes sure dir is a directory this process can write
// files into, creating it if it does not exist.
func checkRecordDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	st, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	f, err := os.CreateTemp(dir, ".mind-write-check-*")
	if err != nil {
		return fmt.Errorf("%s is not writable: %w", dir, err)
	}
	name := f.Name()
	_ = f.Close()
	return os.Remove(name)
}
