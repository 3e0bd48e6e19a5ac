package media

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary bytes to the three file parsers: none may
// panic, and whatever they accept must be playable.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"video-160x90.ivf", "audio.ogg", "video-640x360.h264"} {
		data, err := os.ReadFile(filepath.Join("..", "testdata", "media", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data[:min(len(data), 1024)])
	}
	f.Add([]byte("DKIF"))
	f.Add([]byte("OggS"))
	f.Add([]byte{0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1f})

	f.Fuzz(func(t *testing.T, data []byte) {
		for _, parse := range []parser{parseIVF, parseOgg, parseH264} {
			clip, err := parse(data, nil)
			if err != nil {
				continue
			}

			info := clip.Info()
			if info.Frames == 0 || info.Duration <= 0 || info.Frames != len(clip.frames) {
				t.Fatalf("accepted media with info %+v", info)
			}

			for i, fr := range clip.frames {
				if len(fr.data) == 0 || fr.duration <= 0 || fr.duration > maxFrameDuration {
					t.Fatalf("frame %d: %d bytes, %v", i, len(fr.data), fr.duration)
				}
			}
		}
	})
}
