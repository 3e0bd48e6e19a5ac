package session_test

import (
	"context"
	"log"
	"time"

	"github.com/mindsdk/mindgo/media"
	"github.com/mindsdk/mindgo/session"
)

// A session with media publishes a test pattern with a tone as its primary
// stream and records the primary stream of another participant to IVF and
// Ogg files. The session closes the recorders when the subscription ends.
func ExampleSession_Receive() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	// conferenceURI, token and otherID come from the application.
	conferenceURI, token, otherID := "https://api.example.com/app/conf", "token", "participant-id"

	s, err := session.Join(ctx, conferenceURI, token, &session.Options{
		Media: session.MediaOptions{StatsInterval: time.Second},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close() //nolint:errcheck

	video, _ := media.TestPattern(&media.Options{Loop: true})
	tone, _ := media.TestTone(&media.Options{Loop: true})
	if err := s.SetPrimaryStream(ctx, &media.Stream{Audio: tone, Video: video}); err != nil {
		log.Fatal(err)
	}

	ivf, _ := media.CreateIVF("other.ivf")
	ogg, _ := media.CreateOgg("other.ogg")
	sub, err := s.Receive(ctx, session.PrimaryStream(otherID), session.ReceiveOptions{
		Audio: ogg, Video: ivf, Limits: session.Limits{MaxFrameArea: 640 * 360},
	})
	if err != nil {
		log.Fatal(err)
	}
	time.Sleep(10 * time.Second)
	_, v := sub.Counts()
	log.Printf("%d video frames, %+v", v.Frames, sub.Statistics().Video)
	_ = sub.Close() // finishes both files
}
