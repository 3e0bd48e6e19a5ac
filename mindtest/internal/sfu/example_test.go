package sfu_test

import (
	"context"
	"fmt"
	"time"

	"github.com/mindsdk/mindgo/mindtest/internal/sfu"
	"github.com/mindsdk/mindgo/transport"
)

// presence is what a server keeps per conference; here it only prints.
type presence struct{}

func (presence) DataChannelOpen(pid string)   { fmt.Println("online", pid) }
func (presence) DataChannelClosed(pid string) { fmt.Println("offline", pid) }
func (presence) MediaFlags(pid string, primary, secondary transport.MediaFlags) {
	fmt.Println("media", pid, primary, secondary)
}
func (presence) DistortionReport(pid string, d sfu.Distortion) {
	fmt.Println("distortion", pid, d.MTID)
}

// A server creates one engine, a room per conference, and passes every
// POST / body of a participant to Room.Offer.
func Example() {
	engine, err := sfu.NewEngine(sfu.Config{})
	if err != nil {
		panic(err)
	}
	defer engine.Close()

	room, err := engine.NewRoom(sfu.RoomConfig{
		Events: presence{},
		// The owner knows roles and priorities; here the first publisher wins.
		Select: sfu.DefaultSelector,
	})
	if err != nil {
		panic(err)
	}
	defer room.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	offer := "..." // the "sdp" field of the request body
	answer, err := room.Offer(ctx, "participant-id", offer)
	if err != nil {
		// errors.Is(err, sfu.ErrMalformedOffer) → 400, sfu.ErrOfferRejected → 409
		return
	}
	_ = answer // {"sdp": answer}

	_ = room.Send("participant-id", `{"type":"updated","location":"/","resource":{}}`)
	room.CloseAfter("participant-id", 500*time.Millisecond) // after "4001"
}
