package rtc

import (
	"math"
	"testing"
)

func TestSimulcastPlanTable(t *testing.T) {
	// protocol §4.8, "Resulting layer plans (before limits)", B = 1 000 000.
	const b = 1_000_000
	type want struct {
		active  bool
		scale   float64
		bitrate int
	}
	cases := []struct {
		adaptivity int
		layers     [3]want
	}{
		{1, [3]want{{true, 1, b}, {}, {}}},
		{2, [3]want{{true, 2, b / 5}, {true, 1, 4 * (b / 5)}, {}}},
		{3, [3]want{{true, 4, b / 21}, {true, 2, 4 * (b / 21)}, {true, 1, 16 * (b / 21)}}},
	}
	for _, tc := range cases {
		got := SimulcastPlan(640, 360, b, tc.adaptivity, 1, Limits{})
		if len(got) != 3 {
			t.Fatalf("A=%d: %d layers", tc.adaptivity, len(got))
		}
		for i, w := range tc.layers {
			l := got[i]
			if l.RID != simulcastRIDs[i] {
				t.Errorf("A=%d layer %d: RID %q", tc.adaptivity, i, l.RID)
			}
			if l.Active != w.active || l.ScaleDownBy != w.scale || l.MaxBitrate != w.bitrate {
				t.Errorf("A=%d %s: got %+v, want %+v", tc.adaptivity, l.RID, l, w)
			}
			if l.Active && l.ScalabilityMode != "L1T3" {
				t.Errorf("A=%d %s: mode %q", tc.adaptivity, l.RID, l.ScalabilityMode)
			}
		}
	}
}

func TestSimulcastPlanLimits(t *testing.T) {
	const b = 1_000_000
	active := func(layers []Layer) (n int) {
		for _, l := range layers {
			if l.Active {
				n++
			}
		}

		return n
	}

	// Bitrate: the running total decides. A=3: 47619, +190476, +761904.
	if n := active(SimulcastPlan(1280, 720, b, 3, 1, Limits{MaxBitrate: 300_000})); n != 2 {
		t.Errorf("300 kbit/s cap: %d active layers, want 2", n)
	}
	if n := active(SimulcastPlan(1280, 720, b, 3, 1, Limits{MaxBitrate: 10})); n != 1 {
		t.Errorf("tiny cap: %d active layers, want 1 (l is always sent)", n)
	}

	// Area, quirk Q12 fixed: with A=2 the m layer is full size (scale 1),
	// 640×360 = 230400 px. The JS would test 230400/4 and let it through.
	plan := SimulcastPlan(640, 360, b, 2, 1, Limits{MaxFrameArea: 100_000})
	if plan[1].Active {
		t.Errorf("A=2 m layer of 230400 px passed a 100000 px cap: %+v", plan[1])
	}
	if !plan[0].Active || plan[0].ScaleDownBy != 2 {
		t.Errorf("l layer: %+v", plan[0])
	}
	if !SimulcastPlan(640, 360, b, 2, 1, Limits{MaxFrameArea: 230400})[1].Active {
		t.Error("A=2 m layer should fit a 230400 px cap")
	}

	// Extra scale S divides every layer, also in the area test.
	plan = SimulcastPlan(1280, 720, b, 2, 2, Limits{MaxFrameArea: 230400})
	if !plan[1].Active || plan[1].ScaleDownBy != 2 || plan[0].ScaleDownBy != 4 {
		t.Errorf("S=2: %+v", plan)
	}

	// Unknown size (screen) fails any finite area cap but not an absent one.
	if n := active(SimulcastPlan(0, 0, b, 3, 1, Limits{MaxFrameArea: 1 << 30})); n != 1 {
		t.Errorf("unknown size with area cap: %d active", n)
	}
	if n := active(SimulcastPlan(0, 0, b, 3, 1, Limits{})); n != 3 {
		t.Errorf("unknown size without cap: %d active", n)
	}

	// Frame rate cap is copied; unlimited is 0.
	if r := SimulcastPlan(640, 360, b, 1, 1, Limits{MaxFrameRate: 15})[0].MaxFrameRate; r != 15 {
		t.Errorf("frame rate %v", r)
	}
	if r := SimulcastPlan(640, 360, b, 1, 1, Limits{MaxFrameRate: math.Inf(1)})[0].MaxFrameRate; r != 0 {
		t.Errorf("infinite frame rate %v", r)
	}

	// Clamping.
	if n := active(SimulcastPlan(640, 360, b, 9, math.NaN(), Limits{})); n != 3 {
		t.Errorf("adaptivity 9: %d active", n)
	}
	if l := SimulcastPlan(640, 360, b, 0, 0.5, Limits{})[0]; !l.Active || l.ScaleDownBy != 1 || l.MaxBitrate != b {
		t.Errorf("adaptivity 0, scale 0.5: %+v", l)
	}
}
