package media_test

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/mindsdk/mindgo/media"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
	pionmedia "github.com/pion/webrtc/v4/pkg/media"
)

// Open a VP8 file and look at it before publishing it.
func ExampleOpenIVF() {
	clip, err := media.OpenIVF(filepath.Join("..", "testdata", "media", "video-640x360.ivf"), nil)
	if err != nil {
		fmt.Println(err)

		return
	}

	info := clip.Info()
	fmt.Println(info.MimeType, info.Width, "x", info.Height)
	fmt.Println(info.Frames, "frames,", info.Keyframes, "keyframes,", info.Duration.Round(1e6))
	// Output:
	// video/VP8 640 x 360
	// 120 frames, 4 keyframes, 4s
}

// Describe a simulcast video: one source per layer, smallest first. A
// publisher creates one track per layer with that layer's rid.
func ExampleVideo() {
	video, err := media.TestPattern(&media.Options{Loop: true})
	if err != nil {
		fmt.Println(err)

		return
	}

	for _, layer := range video.Layers() {
		w, h := layer.Source.Size()
		fmt.Printf("rid %s: %dx%d\n", layer.RID, w, h)

		// With a peer connection, each layer would be sent like this:
		_, _ = webrtc.NewTrackLocalStaticSample(video.Codec(), "video", "me#primary",
			webrtc.WithRTPStreamID(layer.RID))
	}

	stream := media.Stream{Audio: media.Silence(&media.Options{Loop: true}), Video: video}
	fmt.Println("valid:", stream.Validate() == nil)
	// Output:
	// rid l: 160x90
	// rid m: 320x180
	// rid h: 640x360
	// valid: true
}

// Count what arrives: here the RTP comes from a packetizer instead of a
// remote track, whose ReadRTP loop would call WriteRTP the same way.
func ExampleCounter() {
	counter := media.NewCounter(webrtc.MimeTypeVP8, nil)
	packetizer := rtp.NewPacketizer(1200, 96, 1, &codecs.VP8Payloader{},
		rtp.NewRandomSequencer(), 90000)

	clip, err := media.OpenIVF(filepath.Join("..", "testdata", "media", "video-640x360.ivf"),
		&media.Options{Pace: media.PaceNone})
	if err != nil {
		fmt.Println(err)

		return
	}

	err = clip.Run(context.Background(), media.SampleWriterFunc(func(s pionmedia.Sample) error {
		for _, p := range packetizer.Packetize(s.Data, uint32(s.Duration.Seconds()*90000)) {
			if err := counter.WriteRTP(p); err != nil {
				return err
			}
		}

		return nil
	}))

	fmt.Println(err, counter.Counters().Frames, "frames")
	// Output:
	// <nil> 120 frames
}
