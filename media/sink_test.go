package media

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
	pionmedia "github.com/pion/webrtc/v4/pkg/media"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// packetize plays clip without pacing through pion's packetizer for its
// codec, the way a TrackLocalStaticSample does, and hands each packet to
// sink. It returns the number of packets.
func packetize(t *testing.T, clip *Clip, sink Sink) int {
	t.Helper()

	codec := clip.Codec()
	var payloader rtp.Payloader
	switch codec.MimeType {
	case webrtc.MimeTypeVP8:
		payloader = &codecs.VP8Payloader{EnablePictureID: true}
	case webrtc.MimeTypeH264:
		payloader = &codecs.H264Payloader{}
	case webrtc.MimeTypeOpus:
		payloader = &codecs.OpusPayloader{}
	}

	packetizer := rtp.NewPacketizer(1200, 96, 0x1234, payloader,
		rtp.NewRandomSequencer(), codec.ClockRate)
	n := 0
	err := clip.WithOptions(&Options{Pace: PaceNone}).Run(t.Context(),
		SampleWriterFunc(func(s pionmedia.Sample) error {
			ticks := uint32(s.Duration.Seconds()*float64(codec.ClockRate) + 0.5)
			for _, p := range packetizer.Packetize(s.Data, ticks) {
				n++
				if err := sink.WriteRTP(p); err != nil {
					return err
				}
			}

			return nil
		}))
	require.NoError(t, err)

	return n
}

func TestRecordRoundTrip(t *testing.T) {
	t.Parallel()

	tests := []struct {
		file string
		read func(string) (Info, error)
	}{
		{"video-640x360.ivf", ReadIVFInfo},
		{"video-160x90.ivf", ReadIVFInfo},
		{"audio.ogg", ReadOggInfo},
		{"video-640x360.h264", ReadH264Info},
	}

	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()

			clip := openTestClip(t, tt.file, nil)
			want := clip.Info()
			out := filepath.Join(t.TempDir(), "out"+filepath.Ext(tt.file))

			recorder, err := CreateRecording(out, clip.Codec().MimeType)
			require.NoError(t, err)

			counter := NewCounter(clip.Codec().MimeType, recorder)
			packets := packetize(t, clip, counter)
			require.NoError(t, counter.Close())
			require.NoError(t, counter.Close(), "second Close")

			got, err := tt.read(out)
			require.NoError(t, err)

			assert.Equal(t, want.MimeType, got.MimeType)
			assert.Equal(t, want.Frames, got.Frames)
			assert.Equal(t, want.Keyframes, got.Keyframes)
			assert.Equal(t, want.Bytes, got.Bytes)
			assert.Equal(t, want.Width, got.Width)
			assert.Equal(t, want.Height, got.Height)
			assert.InDelta(t, want.Duration, got.Duration, float64(time.Millisecond))
			if got.MimeType == webrtc.MimeTypeVP8 {
				assert.Equal(t, want.Frames, got.DeclaredFrames, "IVF header frame count")
			}

			inspected, err := Inspect(out)
			require.NoError(t, err)
			assert.Equal(t, got, inspected)

			counts := counter.Counters()
			assert.Equal(t, uint64(packets), counts.Packets)
			assert.Equal(t, uint64(want.Frames), counts.Frames)
			// Payload descriptors add bytes, H.264 start codes go away.
			assert.InEpsilon(t, want.Bytes, counts.Bytes, 0.05)
			if got.MimeType == webrtc.MimeTypeOpus {
				assert.Equal(t, uint64(want.Frames*960), counts.Samples)
			} else {
				assert.Greater(t, counts.Packets, counts.Frames, "large frames span packets")
				assert.Zero(t, counts.Samples)
			}
		})
	}
}

func TestRecordersToWriters(t *testing.T) {
	t.Parallel()

	// Writers that cannot seek: files stay readable, only the IVF header
	// keeps pion's placeholder frame count.
	clip := openTestClip(t, "video-160x90.ivf", nil)
	var ivf bytes.Buffer
	r, err := NewIVFRecorder(&ivf)
	require.NoError(t, err)
	packetize(t, clip, r)
	require.NoError(t, r.Close())

	got, err := parseIVF(ivf.Bytes(), nil)
	require.NoError(t, err)
	assert.Equal(t, 120, got.Info().Frames)

	var ogg bytes.Buffer
	r, err = NewOggRecorder(&ogg)
	require.NoError(t, err)
	packetize(t, openTestClip(t, "audio.ogg", nil), r)
	require.NoError(t, r.Close())

	got, err = parseOgg(ogg.Bytes(), nil)
	require.NoError(t, err)
	assert.Equal(t, 201, got.Info().Frames)

	var h264 bytes.Buffer
	r, err = NewH264Recorder(&h264)
	require.NoError(t, err)
	packetize(t, openTestClip(t, "video-640x360.h264", nil), r)
	require.NoError(t, r.Close())

	got, err = parseH264(h264.Bytes(), nil)
	require.NoError(t, err)
	assert.Equal(t, 120, got.Info().Frames)

	for _, fn := range []func() (*Recorder, error){
		func() (*Recorder, error) { return NewIVFRecorder(nil) },
		func() (*Recorder, error) { return NewOggRecorder(nil) },
		func() (*Recorder, error) { return NewH264Recorder(nil) },
	} {
		_, err := fn()
		assert.ErrorIs(t, err, ErrInvalidArgument)
	}
}

func TestCreateRecordingErrors(t *testing.T) {
	t.Parallel()

	dir := t.TempDir()
	_, err := CreateRecording(filepath.Join(dir, "x.bin"), "video/AV1")
	require.ErrorIs(t, err, ErrUnsupportedCodec)

	_, err = os.Stat(filepath.Join(dir, "x.bin"))
	require.ErrorIs(t, err, os.ErrNotExist, "no file for an unsupported codec")

	for _, mime := range []string{webrtc.MimeTypeVP8, webrtc.MimeTypeOpus, webrtc.MimeTypeH264} {
		_, err = CreateRecording(filepath.Join(dir, "missing", "x"), mime)
		assert.ErrorIs(t, err, os.ErrNotExist, mime)
	}
}

func TestRecorderRejectsBadPackets(t *testing.T) {
	t.Parallel()

	r, err := CreateIVF(filepath.Join(t.TempDir(), "x.ivf"))
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, r.Close()) })

	require.ErrorIs(t, r.WriteRTP(nil), ErrInvalidArgument)
	require.Error(t, r.WriteRTP(&rtp.Packet{Payload: []byte{0x80}}), "truncated VP8 descriptor")
	require.NoError(t, r.WriteRTP(&rtp.Packet{Payload: []byte{0x10, 0x00, 0x9d}}),
		"usable after an error")
}

func TestCounterFrames(t *testing.T) {
	t.Parallel()

	pkt := func(ssrc, ts uint32, payload ...byte) *rtp.Packet {
		return &rtp.Packet{Header: rtp.Header{SSRC: ssrc, Timestamp: ts}, Payload: payload}
	}

	video := NewCounter(webrtc.MimeTypeVP8, nil)
	for _, p := range []*rtp.Packet{
		pkt(1, 100, 1, 2), pkt(1, 100, 3), pkt(1, 100, 4), // frame 1: three packets
		pkt(1, 100),         // padding only: not a frame
		pkt(1, 3100, 5),     // frame 2
		pkt(2, 3100, 6),     // same time on another SSRC: frame 3
		pkt(2, 6100),        // padding with a new timestamp: not a frame
		pkt(2, 6100, 7, 8),  // frame 4
		pkt(2, 9100, 9, 10), // frame 5
	} {
		require.NoError(t, video.WriteRTP(p))
	}
	assert.Equal(t, Counts{Packets: 9, Bytes: 10, Frames: 5}, video.Counters())

	audio := NewCounter(webrtc.MimeTypeOpus, nil)
	silence := []byte(opusSilenceFrame)
	for range 3 {
		require.NoError(t, audio.WriteRTP(pkt(1, 0, silence...)))
	}
	require.NoError(t, audio.WriteRTP(pkt(1, 0, 0xfb, 0x02))) // code 3: two 20 ms frames
	require.NoError(t, audio.WriteRTP(pkt(1, 0)))
	assert.Equal(t, Counts{Packets: 5, Bytes: 11, Frames: 4, Samples: 5 * 960}, audio.Counters())

	require.NoError(t, audio.Close())
	require.ErrorIs(t, audio.WriteRTP(pkt(1, 0, silence...)), ErrClosed)
	require.ErrorIs(t, audio.WriteRTP(nil), ErrInvalidArgument)
	assert.Equal(t, uint64(5), audio.Counters().Packets, "nothing counted after Close")
}

func TestSinkFuncAndTee(t *testing.T) {
	t.Parallel()

	errSink := errors.New("sink failed")
	var got []uint16
	record := SinkFunc(func(p *rtp.Packet) error {
		got = append(got, p.SequenceNumber)

		return nil
	})
	fail := SinkFunc(func(*rtp.Packet) error { return errSink })
	counter := NewCounter(webrtc.MimeTypeVP8, nil)

	tee := Tee(fail, record, counter)
	for seq := range uint16(3) {
		header := rtp.Header{SequenceNumber: seq, Timestamp: uint32(seq)}
		err := tee.WriteRTP(&rtp.Packet{Header: header, Payload: []byte{1}})
		require.ErrorIs(t, err, errSink)
	}

	assert.Equal(t, []uint16{0, 1, 2}, got, "a failing sink does not starve the others")
	assert.Equal(t, uint64(3), counter.Counters().Frames)

	require.NoError(t, tee.Close())
	require.ErrorIs(t, tee.WriteRTP(&rtp.Packet{Payload: []byte{1}}), ErrClosed)
}

func TestSinksCloseWhileWriting(t *testing.T) {
	t.Parallel()

	dir := t.TempDir()
	clip := openTestClip(t, "video-160x90.ivf", nil)

	// Packets to replay from several goroutines.
	var packets []*rtp.Packet
	packetize(t, clip, SinkFunc(func(p *rtp.Packet) error {
		packets = append(packets, p)

		return nil
	}))

	makers := map[string]func() (Sink, error){
		"ivf":     func() (Sink, error) { return CreateIVF(filepath.Join(dir, "a.ivf")) },
		"ogg":     func() (Sink, error) { return CreateOgg(filepath.Join(dir, "a.ogg")) },
		"h264":    func() (Sink, error) { return CreateH264(filepath.Join(dir, "a.h264")) },
		"counter": func() (Sink, error) { return NewCounter(webrtc.MimeTypeVP8, nil), nil },
		"tee": func() (Sink, error) {
			r, err := CreateIVF(filepath.Join(dir, "b.ivf"))

			discard := SinkFunc(func(*rtp.Packet) error { return nil })

			return Tee(NewCounter(webrtc.MimeTypeVP8, r), discard), err
		},
	}

	for name, makeSink := range makers {
		t.Run(name, func(t *testing.T) {
			sink, err := makeSink()
			require.NoError(t, err)

			var wg sync.WaitGroup
			start := make(chan struct{})
			for range 3 {
				wg.Go(func() {
					<-start
					for _, p := range packets {
						// Payload errors (Opus or H.264 recorders fed VP8) are
						// fine here; the point is no race and no panic.
						_ = sink.WriteRTP(p)
					}
				})
			}
			wg.Go(func() {
				<-start
				assert.NoError(t, sink.Close())
			})

			close(start)
			wg.Wait()

			if name != "tee" {
				assert.ErrorIs(t, sink.WriteRTP(packets[0]), ErrClosed)
			}
			assert.NoError(t, sink.Close())
		})
	}
}
