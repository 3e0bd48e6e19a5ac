package media

import (
	"strings"

	"github.com/pion/webrtc/v4"
)

// Stream ids of the simulcast layers, lowest resolution first (protocol
// §4.8). A video with a single layer is sent as [RIDLow].
const (
	RIDLow  = "l"
	RIDMid  = "m"
	RIDHigh = "h"
)

// H264FmtpLine is the only H.264 format the protocol lets a client offer
// (protocol §4.9): constrained baseline level 3.1, packetization mode 1.
const H264FmtpLine = "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"

// OpusCodec returns the codec capability of Opus as sources of this package
// report it: 48 kHz, two channels in the SDP sense, in-band FEC allowed.
func OpusCodec() webrtc.RTPCodecCapability {
	return webrtc.RTPCodecCapability{
		MimeType:     webrtc.MimeTypeOpus,
		ClockRate:    48000,
		Channels:     2,
		SDPFmtpLine:  "minptime=10;useinbandfec=1",
		RTCPFeedback: []webrtc.RTCPFeedback{{Type: webrtc.TypeRTCPFBTransportCC}},
	}
}

// VP8Codec returns the codec capability of VP8 with the usual video
// feedback (NACK, PLI, FIR, REMB and transport-wide congestion control).
func VP8Codec() webrtc.RTPCodecCapability {
	return webrtc.RTPCodecCapability{
		MimeType:     webrtc.MimeTypeVP8,
		ClockRate:    90000,
		RTCPFeedback: videoFeedback(),
	}
}

// H264Codec returns the codec capability of H.264 with [H264FmtpLine] and
// the same feedback as [VP8Codec].
func H264Codec() webrtc.RTPCodecCapability {
	return webrtc.RTPCodecCapability{
		MimeType:     webrtc.MimeTypeH264,
		ClockRate:    90000,
		SDPFmtpLine:  H264FmtpLine,
		RTCPFeedback: videoFeedback(),
	}
}

func videoFeedback() []webrtc.RTCPFeedback {
	return []webrtc.RTCPFeedback{
		{Type: webrtc.TypeRTCPFBGoogREMB},
		{Type: webrtc.TypeRTCPFBCCM, Parameter: "fir"},
		{Type: webrtc.TypeRTCPFBNACK},
		{Type: webrtc.TypeRTCPFBNACK, Parameter: "pli"},
		{Type: webrtc.TypeRTCPFBTransportCC},
	}
}

// KindOf returns the kind of media a MIME type such as "video/VP8" names,
// or webrtc.RTPCodecTypeUnknown.
func KindOf(mimeType string) webrtc.RTPCodecType {
	kind, _, _ := strings.Cut(mimeType, "/")

	return webrtc.NewRTPCodecType(kind)
}

const videoKind = webrtc.RTPCodecTypeVideo
