package media

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pion/webrtc/v4"
	pionmedia "github.com/pion/webrtc/v4/pkg/media"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testFile returns the path of a sample in testdata/media at the
// repository root.
func testFile(name string) string {
	return filepath.Join("..", "testdata", "media", name)
}

func readTestFile(t testing.TB, name string) []byte {
	t.Helper()

	data, err := os.ReadFile(testFile(name))
	require.NoError(t, err)

	return data
}

// openTestClip opens a sample by its extension.
func openTestClip(t *testing.T, name string, opts *Options) *Clip {
	t.Helper()

	open := map[string]func(string, *Options) (*Clip, error){
		".ivf": OpenIVF, ".ogg": OpenOgg, ".h264": OpenH264,
	}[filepath.Ext(name)]

	clip, err := open(testFile(name), opts)
	require.NoError(t, err)

	return clip
}

// collect runs the clip with no pacing and returns what it wrote.
func collect(t *testing.T, clip *Clip) []pionmedia.Sample {
	t.Helper()

	var samples []pionmedia.Sample
	err := clip.WithOptions(&Options{Pace: PaceNone}).Run(t.Context(),
		SampleWriterFunc(func(s pionmedia.Sample) error {
			samples = append(samples, s)

			return nil
		}))
	require.NoError(t, err)

	return samples
}

func TestOpenSamples(t *testing.T) {
	t.Parallel()

	const frame30 = time.Second / 30
	tests := []struct {
		file          string
		mime          string
		width, height int
		frames        int
		keyframes     int
		frameDuration time.Duration
	}{
		{"video-640x360.ivf", webrtc.MimeTypeVP8, 640, 360, 120, 4, frame30},
		{"video-320x180.ivf", webrtc.MimeTypeVP8, 320, 180, 120, 4, frame30},
		{"video-160x90.ivf", webrtc.MimeTypeVP8, 160, 90, 120, 4, frame30},
		{"video-640x360.h264", webrtc.MimeTypeH264, 640, 360, 120, 4, frame30},
		// 200 packets of tone plus one for the encoder's pre-skip.
		{"audio.ogg", webrtc.MimeTypeOpus, 0, 0, 201, 0, 20 * time.Millisecond},
	}

	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()

			clip := openTestClip(t, tt.file, nil)
			info := clip.Info()

			assert.Equal(t, tt.mime, clip.Codec().MimeType)
			assert.Equal(t, KindOf(tt.mime), clip.Kind())
			assert.Equal(t, tt.frames, info.Frames)
			assert.Equal(t, tt.keyframes, info.Keyframes)

			w, h := clip.Size()
			assert.Equal(t, []int{tt.width, tt.height}, []int{w, h})

			samples := collect(t, clip)
			require.Len(t, samples, tt.frames)

			var total time.Duration
			for i, s := range samples {
				assert.InDelta(t, tt.frameDuration, s.Duration, float64(time.Microsecond), "sample %d", i)
				assert.NotEmpty(t, s.Data)
				total += s.Duration
			}

			assert.Equal(t, info.Duration, total)
			assert.InDelta(t, time.Duration(tt.frames)*tt.frameDuration, total, float64(time.Millisecond))
			if tt.keyframes > 0 {
				assert.True(t, clip.frames[0].key, "video starts with a keyframe")
			}
		})
	}
}

func TestH264SamplesAreAccessUnits(t *testing.T) {
	t.Parallel()

	samples := collect(t, openTestClip(t, "video-640x360.h264", nil))

	// Each keyframe sample carries SPS, PPS and the IDR slice, each with
	// a four-byte start code; other samples one slice.
	for i, s := range samples {
		require.True(t, bytes.HasPrefix(s.Data, []byte(annexBStartCode)), "sample %d", i)

		nals := bytes.Split(s.Data[4:], []byte(annexBStartCode))
		var types []byte
		for _, n := range nals {
			types = append(types, n[0]&0x1f)
		}

		if i%30 == 0 {
			assert.Equal(t, []byte{nalSPS, nalPPS, nalIDR}, types, "sample %d", i)
		} else {
			assert.Equal(t, []byte{nalSlice}, types, "sample %d", i)
		}
	}
}

func TestH264FrameRate(t *testing.T) {
	t.Parallel()

	clip := openTestClip(t, "video-640x360.h264", &Options{FrameRate: 15})
	assert.Equal(t, 8*time.Second, clip.Info().Duration.Round(time.Millisecond))

	for _, rate := range []float64{-1, 0.5, 1000} {
		_, err := OpenH264(testFile("video-640x360.h264"), &Options{FrameRate: rate})
		assert.ErrorIs(t, err, ErrInvalidArgument, "rate %v", rate)
	}
}

func TestSilence(t *testing.T) {
	t.Parallel()

	clip := Silence(nil)
	samples := collect(t, clip)
	require.Len(t, samples, 50)

	for _, s := range samples {
		assert.Equal(t, 20*time.Millisecond, s.Duration)
		n, err := opusSamples(s.Data)
		require.NoError(t, err)
		assert.Equal(t, 960, n)
	}

	assert.Equal(t, time.Second, clip.Info().Duration)
	assert.Equal(t, webrtc.RTPCodecTypeAudio, clip.Kind())
}

func TestRunLoops(t *testing.T) {
	t.Parallel()

	clip := openTestClip(t, "video-160x90.ivf", &Options{Loop: true, Pace: PaceNone})
	want := 2*len(clip.frames) + len(clip.frames)/2

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()

	n := 0
	err := clip.Run(ctx, SampleWriterFunc(func(s pionmedia.Sample) error {
		assert.Equal(t, clip.frames[n%len(clip.frames)].data, s.Data, "sample %d", n)
		n++
		if n == want {
			cancel()
		}

		return nil
	}))

	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, want, n)
}

func TestRunWriterError(t *testing.T) {
	t.Parallel()

	errBroken := errors.New("broken writer")
	n := 0
	failThird := SampleWriterFunc(func(pionmedia.Sample) error {
		n++
		if n == 3 {
			return errBroken
		}

		return nil
	})
	err := Silence(&Options{Pace: PaceNone}).Run(t.Context(), failThird)

	require.ErrorIs(t, err, errBroken)
	assert.Equal(t, 3, n)

	assert.ErrorIs(t, Silence(nil).Run(t.Context(), nil), ErrInvalidArgument)
}

func TestRunConcurrently(t *testing.T) {
	t.Parallel()

	clip := openTestClip(t, "audio.ogg", &Options{Pace: PaceNone})

	var wg sync.WaitGroup
	counts := make([]int, 4)
	for i := range counts {
		wg.Go(func() {
			assert.NoError(t, clip.Run(t.Context(), SampleWriterFunc(func(pionmedia.Sample) error {
				counts[i]++

				return nil
			})))
		})
	}
	wg.Wait()

	assert.Equal(t, []int{201, 201, 201, 201}, counts)
}

// realTimeRun plays clip in real time inside a synctest bubble, recording
// the fake time at which each sample is written.
func realTimeRun(t *testing.T, clip *Clip) []time.Duration {
	t.Helper()

	var at []time.Duration
	start := time.Now()
	err := clip.Run(t.Context(), SampleWriterFunc(func(pionmedia.Sample) error {
		at = append(at, time.Since(start))

		return nil
	}))
	require.NoError(t, err)

	return at
}

func TestRunRealTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// Half a second of media: 25 Opus packets of 20 ms.
		half := Silence(nil)
		half.frames = half.frames[:25]

		at := realTimeRun(t, half)
		require.Len(t, at, 25)
		for i, d := range at {
			assert.Equal(t, time.Duration(i)*20*time.Millisecond, d, "packet %d", i)
		}

		// A 30 fps file: no drift over four seconds.
		at = realTimeRun(t, openTestClip(t, "video-160x90.ivf", nil))
		require.Len(t, at, 120)
		assert.InDelta(t, 119*time.Second/30, at[119], float64(time.Microsecond))
	})
}

func TestRunRealTimeCatchesUpAfterStall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clip := Silence(nil)

		var at []time.Duration
		start := time.Now()
		err := clip.Run(t.Context(), SampleWriterFunc(func(pionmedia.Sample) error {
			at = append(at, time.Since(start))
			if len(at) == 10 {
				time.Sleep(3 * time.Second) // a writer stalled for a while
			}

			return nil
		}))
		require.NoError(t, err)

		// After the stall the schedule restarts: no burst of late packets.
		stall := at[9] + 3*time.Second
		for i := 10; i < len(at); i++ {
			assert.Equal(t, stall+time.Duration(i-10)*20*time.Millisecond, at[i], "packet %d", i)
		}
	})
}

func TestRunReturnsPromptlyOnCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		clip := openTestClip(t, "video-160x90.ivf", &Options{Loop: true})

		written := make(chan struct{}, 1)
		done := make(chan error)
		go func() {
			done <- clip.Run(ctx, SampleWriterFunc(func(pionmedia.Sample) error {
				select {
				case written <- struct{}{}:
				default:
				}

				return nil
			}))
		}()

		<-written
		synctest.Wait() // Run now waits for the next frame
		start := time.Now()
		cancel()

		assert.ErrorIs(t, <-done, context.Canceled)
		assert.Zero(t, time.Since(start), "Run returned without waiting")
	})
}

func TestBadInput(t *testing.T) {
	t.Parallel()

	ivf := readTestFile(t, "video-160x90.ivf")
	ogg := readTestFile(t, "audio.ogg")
	h264 := readTestFile(t, "video-640x360.h264")

	patch := func(data []byte, at int, b ...byte) []byte {
		out := bytes.Clone(data)
		copy(out[at:], b)

		return out
	}

	tests := []struct {
		name  string
		parse parser
		data  []byte
		want  error
	}{
		{"IVF empty", parseIVF, nil, ErrInvalidMedia},
		{"IVF garbage", parseIVF, bytes.Repeat([]byte("garbage!"), 100), ErrInvalidMedia},
		{"IVF header only", parseIVF, ivf[:32], ErrInvalidMedia},
		{"IVF truncated header", parseIVF, ivf[:20], ErrInvalidMedia},
		{"IVF truncated frame", parseIVF, ivf[:len(ivf)-7], ErrInvalidMedia},
		{"IVF truncated frame header", parseIVF, ivf[:32+5], ErrInvalidMedia},
		{"IVF huge frame size", parseIVF, patch(ivf, 32, 0xff, 0xff, 0xff, 0xff), ErrInvalidMedia},
		{"IVF VP9", parseIVF, patch(ivf, 8, 'V', 'P', '9', '0'), ErrUnsupportedCodec},
		{"IVF zero time base", parseIVF, patch(ivf, 16, 0, 0, 0, 0), ErrInvalidMedia},
		{"IVF corrupt keyframe", parseIVF, patch(ivf, 32+12+3, 0), ErrInvalidMedia},
		{"IVF timestamps backwards", parseIVF, patch(ivf, 32+4, 0xff), ErrInvalidMedia},
		{"IVF given an Ogg file", parseIVF, ogg, ErrInvalidMedia},
		{"Ogg empty", parseOgg, nil, ErrUnsupportedCodec},
		{"Ogg garbage", parseOgg, bytes.Repeat([]byte("garbage!"), 100), ErrInvalidMedia},
		{"Ogg truncated", parseOgg, ogg[:len(ogg)-10], ErrInvalidMedia},
		{"Ogg bad checksum", parseOgg, patch(ogg, 22, ogg[22]^0xff), ErrInvalidMedia},
		{"Ogg not Opus", parseOgg, vorbisLike(t), ErrUnsupportedCodec},
		{"Ogg given an IVF file", parseOgg, ivf, ErrInvalidMedia},
		{"H.264 empty", parseH264, nil, ErrInvalidMedia},
		{"H.264 garbage", parseH264, bytes.Repeat([]byte("garbage!"), 100), ErrInvalidMedia},
		{"H.264 start code and garbage", parseH264, append([]byte{0, 0, 0, 1}, ivf[40:400]...),
			ErrInvalidMedia},
		{"H.264 high profile", parseH264, patch(h264, 5, 100), ErrUnsupportedCodec},
		{"H.264 without SPS", parseH264, withoutSPS(h264), ErrInvalidMedia},
		{"H.264 given an IVF file", parseH264, ivf, ErrInvalidMedia},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			clip, err := tt.parse(tt.data, nil)
			require.ErrorIs(t, err, tt.want)
			assert.Nil(t, clip)
		})
	}
}

// withoutSPS returns the first second of an H.264 sample minus its
// parameter sets: from the first IDR slice to the next SPS.
func withoutSPS(h264 []byte) []byte {
	rest := h264[bytes.Index(h264, []byte{0, 0, 1, 0x65}):]

	return rest[:bytes.Index(rest, []byte{0, 0, 0, 1, 0x67})]
}

// vorbisLike returns an Ogg page with a valid checksum whose first packet
// is not an OpusHead.
func vorbisLike(t *testing.T) []byte {
	t.Helper()

	body := []byte("\x01vorbis\x00\x00\x00\x00\x02\x44\xac\x00\x00")
	page := append([]byte("OggS\x00\x02"), make([]byte, 20)...)
	page = append(page, 1, byte(len(body)))
	page = append(page, body...)

	crc := oggChecksum(oggCRCTable(), page)
	page[22], page[23], page[24], page[25] = byte(crc), byte(crc>>8), byte(crc>>16), byte(crc>>24)

	return page
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()

	_, err := OpenIVF(filepath.Join(t.TempDir(), "missing.ivf"), nil)
	require.ErrorIs(t, err, os.ErrNotExist)

	_, err = OpenOgg(testFile("video-160x90.ivf"), nil)
	require.ErrorIs(t, err, ErrInvalidMedia)
	assert.Contains(t, err.Error(), "video-160x90.ivf")

	_, err = NewIVFSource(nil, nil)
	require.ErrorIs(t, err, ErrInvalidArgument)

	clip, err := NewOggSource(bytes.NewReader(readTestFile(t, "audio.ogg")), nil)
	require.NoError(t, err)
	assert.Equal(t, 201, clip.Info().Frames)
}

func TestOggPacketsAcrossPages(t *testing.T) {
	t.Parallel()

	// Repage the sample: all audio packets on as few pages as lacing
	// allows, one packet split over two pages. Durations must not change.
	packets, err := oggPackets(readTestFile(t, "audio.ogg"))
	require.NoError(t, err)

	want, err := parseOgg(readTestFile(t, "audio.ogg"), nil)
	require.NoError(t, err)

	got, err := parseOgg(repage(packets, 40), nil)
	require.NoError(t, err)
	assert.Equal(t, want.Info(), got.Info())
}

// repage writes packets into Ogg pages of at most segs lacing values,
// splitting packets across pages where they do not fit.
func repage(packets [][]byte, segs int) []byte {
	var lacing []byte
	var body []byte
	var out []byte
	table := oggCRCTable()
	seq := uint32(0)
	continued := false

	emit := func(flags byte) {
		page := append([]byte("OggS\x00"), flags)
		page = append(page, make([]byte, 8)...) // granule position
		page = append(page, 1, 0, 0, 0)         // serial
		page = append(page, byte(seq), byte(seq>>8), byte(seq>>16), byte(seq>>24))
		page = append(page, 0, 0, 0, 0, byte(len(lacing)))
		page = append(page, lacing...)
		page = append(page, body...)
		crc := oggChecksum(table, page)
		page[22], page[23], page[24], page[25] = byte(crc), byte(crc>>8), byte(crc>>16), byte(crc>>24)
		out = append(out, page...)
		seq++
		lacing, body = nil, nil
	}

	for i, p := range packets {
		for rest := p; ; {
			n := min(len(rest), 255)
			lacing = append(lacing, byte(n))
			body = append(body, rest[:n]...)
			rest = rest[n:]
			last := n < 255

			if len(lacing) == segs || (i < 2 && last) {
				flags := byte(0)
				if seq == 0 {
					flags |= oggFlagFirst
				}
				if continued {
					flags |= oggFlagContinued
				}
				emit(flags)
				continued = !last
			}

			if last {
				break
			}
		}
	}

	if len(lacing) > 0 {
		emit(0)
	}

	return out
}
