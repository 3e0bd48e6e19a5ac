package rtc

import "math"

// Limits bound a media stream: for a receive slot they are what the client
// asks the server to send (protocol §4.7 item 4), for a publication they
// are the local stream's caps of protocol §4.8. Zero (or negative) means
// unlimited for each field.
type Limits struct {
	// MaxBitrate is in bits per second.
	MaxBitrate int
	// MaxFrameArea is width × height in pixels.
	MaxFrameArea int
	// MaxFrameRate is in frames per second and may be fractional.
	MaxFrameRate float64
}

// RIDs of the three simulcast layers, lowest first (protocol §4.8).
const (
	RIDLow    = "l"
	RIDMedium = "m"
	RIDHigh   = "h"
)

var simulcastRIDs = [3]string{RIDLow, RIDMedium, RIDHigh}

// Layer is the plan of one simulcast encoding of a video publication.
type Layer struct {
	// RID is "l", "m" or "h".
	RID string
	// Active tells whether the encoding is sent at all; the other fields
	// are zero when it is not.
	Active bool
	// ScaleDownBy divides the source width and height (≥ 1).
	ScaleDownBy float64
	// MaxBitrate is the encoding's bitrate cap in bits per second.
	MaxBitrate int
	// MaxFrameRate caps the frame rate; 0 means unlimited.
	MaxFrameRate float64
	// ScalabilityMode is always "L1T3" in simulcast mode.
	ScalabilityMode string
}

// SimulcastPlan computes the three RID encodings l, m, h (in that order) of
// a video source of width × height pixels (0 when unknown, as for a screen),
// bitrate in bits/s, adaptivity 1 to 3 and extra downscale scale (≥ 1),
// under the publication's limits, following protocol §4.8.
//
// Encoding i < adaptivity gets floor(bitrate / F[adaptivity−1]) × 4^i with
// F = 1, 5, 21 and is scaled down by scale × 2^(adaptivity−1−i). The lowest
// encoding is always active; each further one only while the running total
// of bitrates fits limits.MaxBitrate and its frame area fits
// limits.MaxFrameArea. Unlike the JS (quirk Q12) the area test uses the
// layer's real scale, not a factor 4/2/1 fixed by index. An unknown source
// size fails any finite area limit.
//
// Out-of-range arguments are clamped: adaptivity to 1…3, scale to at
// least 1, a negative bitrate to 0.
func SimulcastPlan(width, height, bitrate, adaptivity int, scale float64, limits Limits) []Layer {
	fractions := [3]int{1, 5, 21}
	adaptivity = min(max(adaptivity, 1), 3)
	if !(scale >= 1) || math.IsInf(scale, 0) { // also catches NaN
		scale = 1
	}
	bitrate = max(bitrate, 0)

	area := math.Inf(1)
	if width > 0 && height > 0 {
		area = float64(width) * float64(height)
	}
	maxArea := math.Inf(1)
	if limits.MaxFrameArea > 0 {
		maxArea = float64(limits.MaxFrameArea)
	}
	maxRate := 0.0
	if limits.MaxFrameRate > 0 && !math.IsInf(limits.MaxFrameRate, 0) {
		maxRate = limits.MaxFrameRate
	}

	layers := make([]Layer, len(simulcastRIDs))
	base := bitrate / fractions[adaptivity-1]
	total := 0
	for i := range layers {
		layers[i].RID = simulcastRIDs[i]
		if i >= adaptivity {
			continue
		}
		layerBitrate := base << (2 * i) // × 4^i
		total += layerBitrate
		layerScale := scale * float64(int(1)<<(adaptivity-1-i))
		fitsBitrate := limits.MaxBitrate <= 0 || total <= limits.MaxBitrate
		fitsArea := area/(layerScale*layerScale) <= maxArea
		if i > 0 && !(fitsBitrate && fitsArea) {
			continue
		}
		layers[i] = Layer{
			RID:             simulcastRIDs[i],
			Active:          true,
			ScaleDownBy:     layerScale,
			MaxBitrate:      layerBitrate,
			MaxFrameRate:    maxRate,
			ScalabilityMode: "L1T3",
		}
	}

	return layers
}
