package rtc

import (
	"testing"
	"time"

	"github.com/pion/interceptor/pkg/stats"
	"github.com/pion/rtp"
)

// TestRecordersCountFirstPacket queues a packet on a statistics recorder
// the moment it is created, as pion does for the packet it reads before
// handing out a track: it must be counted without waiting for the
// goroutine pion starts recorders on.
func TestRecordersCountFirstPacket(t *testing.T) {
	c, err := mustEngine(t).NewConn(Handlers{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	i, ok := c.rtpStats.(*stats.Interceptor)
	if !ok {
		t.Fatalf("statistics getter is %T", c.rtpStats)
	}
	rec := i.RecorderFactory(1234, 90000)
	defer rec.Stop()
	packet := rtp.Packet{
		Header:  rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: 7, SSRC: 1234},
		Payload: []byte{1, 2, 3},
	}
	buf, err := packet.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	rec.QueueIncomingRTP(time.Now(), buf, nil)
	if got := rec.GetStats().InboundRTPStreamStats.PacketsReceived; got != 1 {
		t.Errorf("packets received %d, want 1", got)
	}
}
