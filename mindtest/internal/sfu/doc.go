// Package sfu is the media side of the mindtest reference server: it answers
// the SDP offers a participant posts, keeps one pion PeerConnection per
// participant, and forwards RTP between participants as a selective
// forwarding unit.
//
// # What it does
//
// An [Engine] holds the pion API (codecs, interceptors, ICE settings) shared
// by every conference of one server. [Engine.NewRoom] creates a [Room] per
// conference. [Room.Offer] takes a participant's offer and returns the
// answer: the first offer of a client connection gets a fresh
// PeerConnection with the negotiated data channel (id 1), later offers of the
// same client connection renegotiate it. Events that the owner of the room
// needs (data channel open and closed, media flags, distortion reports) are
// delivered through [Events], one at a time and in order, from a goroutine of
// the room, never from inside pion.
//
// Positions 1 to 4 of an offer are the participant's publications. Their
// RTP (video as RID simulcast, any codec the answer accepted) feeds every
// receive slot (positions 5 and up) of other participants whose a=msid label
// names the stream, "<participant>#primary" or "<participant>#secondary".
// For each video slot the forwarder picks the highest simulcast layer that
// fits the slot's limits (b=TIAS, a=x-preferences), switches layers only on
// a keyframe and rewrites SSRC, payload type, sequence numbers and
// timestamps so the receiver sees one continuous stream. For H.264 the
// switch point is the packet with the keyframe's SPS and PPS once a layer
// has been seen to send them, so a receiver never starts on an IDR slice
// it cannot decode.
//
// # Limits
//
// The server mixes and composites nothing. The "conference" label, which on
// the real service is an MCU mix, here forwards the primary media of one
// participant chosen by a [Selector] (selector semantics): the receiver
// never hears a mix of several speakers, and when the choice changes the
// stream switches to another participant's media.
//
// Frame-rate limits are honoured only by choosing a lower layer; temporal
// layers are never dropped. Layers are chosen from the slot's limits alone,
// not from an estimate of the receiver's bandwidth. Layer resolution is read
// from VP8 and H.264 keyframes; other codecs (VP9, AV1) and RTX/FEC are not
// negotiated, so losses are repaired by NACK retransmission of the same
// packets (pion's NACK responder and generator interceptors).
//
// pion v4.2.26 stops a transceiver for good when its section is offered
// inactive again, so a parked receive slot could never be reused. The engine
// therefore gives pion a copy of each offer in which media sections are
// never inactive, writes the real directions back into the answer it
// returns, and lets the forwarder decide what flows (see offer_rewrite.go).
package sfu
