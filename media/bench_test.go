package media

import (
	"testing"
	"time"

	pionmedia "github.com/pion/webrtc/v4/pkg/media"
)

// BenchmarkRealTimePacing plays half a second of Opus in real time and
// reports how far the wall-clock time of the run strays from the media
// time it covers (ideal: 0 ms).
func BenchmarkRealTimePacing(b *testing.B) {
	clip := Silence(nil)
	clip.frames = clip.frames[:26] // 25 intervals of 20 ms: 500 ms

	var drift time.Duration
	for b.Loop() {
		var first, last time.Time
		err := clip.Run(b.Context(), SampleWriterFunc(func(pionmedia.Sample) error {
			last = time.Now()
			if first.IsZero() {
				first = last
			}

			return nil
		}))
		if err != nil {
			b.Fatal(err)
		}

		drift += last.Sub(first) - 500*time.Millisecond
	}

	b.ReportMetric(float64(drift.Microseconds())/float64(b.N)/1000, "drift-ms/op")
}

// BenchmarkParseIVF measures loading the 640x360 sample.
func BenchmarkParseIVF(b *testing.B) {
	benchmarkParse(b, "video-640x360.ivf", parseIVF)
}

// BenchmarkParseOgg measures loading the Opus sample.
func BenchmarkParseOgg(b *testing.B) {
	benchmarkParse(b, "audio.ogg", parseOgg)
}

// BenchmarkParseH264 measures loading the H.264 sample.
func BenchmarkParseH264(b *testing.B) {
	benchmarkParse(b, "video-640x360.h264", parseH264)
}

func benchmarkParse(b *testing.B, name string, parse parser) {
	data := readTestFile(b, name)
	b.SetBytes(int64(len(data)))

	for b.Loop() {
		if _, err := parse(data, nil); err != nil {
			b.Fatal(err)
		}
	}
}
