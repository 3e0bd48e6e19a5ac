package session_test

import (
	"context"
	"fmt"
	"time"

	"github.com/mindsdk/mindgo/event"
	"github.com/mindsdk/mindgo/mindtest"
	"github.com/mindsdk/mindgo/session"
	"github.com/mindsdk/mindgo/transport"
)

// Example joins a conference of the in-process reference server as a
// signalling-only bot, prints what happens and leaves.
func Example() {
	srv, err := mindtest.NewServer(nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	conf, _ := srv.CreateConference("Weekly", transport.LayoutMosaic)
	bot, _ := conf.CreateParticipant(transport.CreateParticipantRequest{Name: "Bot", Role: transport.RoleModerator})

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := session.Join(ctx, conf.URI(), bot.Token, &session.Options{SignallingOnly: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	events, _ := s.Subscribe()
	fmt.Printf("joined %q as %s\n", s.Conference().Name(), s.Conference().Me().Name)

	// The application changes the conference and writes to the bot.
	_ = conf.Rename("Weekly sync")
	_, _ = conf.SendMessage(bot.ID, "hello, bot")
	for range 2 {
		switch e := (<-events).(type) {
		case event.ConferenceNameChanged:
			fmt.Printf("conference renamed to %q\n", e.Conference.Name())
		case event.MessageFromApplication:
			fmt.Printf("the application says %q\n", e.Text)
		}
	}

	_ = s.SendMessageToApplication(ctx, "hello, application")
	fmt.Println("the application received", len(conf.MessagesToApplication()), "message")

	_ = s.Close()
	for e := range events {
		fmt.Println("last event:", e.(event.Closed).Reason)
	}

	// Output:
	// joined "Weekly" as Bot
	// conference renamed to "Weekly sync"
	// the application says "hello, bot"
	// the application received 1 message
	// last event: mind: session closed
}
