package mindtest_test

import (
	"encoding/json"
	"fmt"
	"log"
	"net/http"

	"github.com/mindsdk/mindgo/mindtest"
	"github.com/mindsdk/mindgo/transport"
)

// A test starts a server, creates a conference and a participant, and
// reads the conference as that participant would (R1).
func Example() {
	srv, err := mindtest.NewServer(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	conf, err := srv.CreateConference("Daily", transport.LayoutMosaic)
	if err != nil {
		log.Fatal(err)
	}
	alice, err := conf.CreateParticipant(transport.CreateParticipantRequest{
		Name: "Alice", Role: transport.RoleModerator,
	})
	if err != nil {
		log.Fatal(err)
	}

	req, err := http.NewRequest(http.MethodGet, conf.URI()+"/?detailed=true", nil)
	if err != nil {
		log.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+alice.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()

	var snapshot transport.Conference
	if err := json.NewDecoder(resp.Body).Decode(&snapshot); err != nil {
		log.Fatal(err)
	}
	me := snapshot.Participants[0]
	fmt.Println(snapshot.Name, snapshot.Layout, me.Name, me.Role, me.Online)
	// Output: Daily mosaic Alice moderator false
}
