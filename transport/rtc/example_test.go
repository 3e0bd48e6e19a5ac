package rtc_test

import (
	"fmt"
	"strings"

	"github.com/mindsdk/mindgo/transport/rtc"
)

// A camera of adaptivity 2 sends two layers; a receiver that caps the
// frame area at 100 000 pixels keeps only the half-size one.
func ExampleSimulcastPlan() {
	for _, limits := range []rtc.Limits{{}, {MaxFrameArea: 100_000}} {
		var active []string
		for _, layer := range rtc.SimulcastPlan(640, 360, 1_000_000, 2, 1, limits) {
			if layer.Active {
				active = append(active, fmt.Sprintf("%s: ÷%g at %d bit/s", layer.RID, layer.ScaleDownBy, layer.MaxBitrate))
			}
		}
		fmt.Println(strings.Join(active, "; "))
	}
	// Output:
	// l: ÷2 at 200000 bit/s; m: ÷1 at 800000 bit/s
	// l: ÷2 at 200000 bit/s
}
