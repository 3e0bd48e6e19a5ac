package mindtest

import (
	"fmt"
	"slices"
)

// SDPExchange is one SDP offer a participant posted (R2) and the answer
// the server returned; Answer is empty when the offer was refused.
type SDPExchange struct {
	// Offer is the "sdp" field of the request, as received.
	Offer string
	// Answer is the "sdp" field of the response, or "" on an error.
	Answer string
}

// SDPLog returns every offer participantID posted and its answer, oldest
// first. Offers of an expelled participant stay available.
func (c *Conference) SDPLog(participantID string) []SDPExchange {
	c.mu.Lock()
	defer c.mu.Unlock()

	return slices.Clone(c.sdp[participantID])
}

// DistortionReports returns the distortion reports
// ("1:<mtid>:<startMs>:<durationS>") received on the participant's data
// channel, oldest first. Other data channel messages are not kept.
func (c *Conference) DistortionReports(participantID string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()

	return slices.Clone(c.distorted[participantID])
}

func (c *Conference) recordSDP(pid, offer, answer string) {
	c.mu.Lock()
	defer c.mu.Unlock()

	if c.sdp == nil {
		c.sdp = make(map[string][]SDPExchange)
	}
	c.sdp[pid] = append(c.sdp[pid], SDPExchange{Offer: offer, Answer: answer})
}

func (c *Conference) recordDistortion(pid, text string) {
	c.mu.Lock()
	defer c.mu.Unlock()

	if c.distorted == nil {
		c.distorted = make(map[string][]string)
	}
	c.distorted[pid] = append(c.distorted[pid], text)
}

// CloseDataChannel closes a participant's WebRTC data channel without a
// close code, as a fault would, and leaves its peer connection open. The
// participant goes offline unless a WebSocket keeps it online. It fails
// with ErrNotFound for an unknown participant and ErrOffline when it has
// no peer connection.
func (c *Conference) CloseDataChannel(participantID string) error {
	if _, ok := c.Participant(participantID); !ok {
		return fmt.Errorf("%w: participant", ErrNotFound)
	}

	return c.srv.media.closeDataChannel(c, participantID)
}

// checkLive reports, like checkLocked, whether the conference is live and
// the participant still in it.
func (c *Conference) checkLive(pid string) (*participant, error) {
	c.mu.Lock()
	defer c.mu.Unlock()

	return c.checkLocked(pid)
}
