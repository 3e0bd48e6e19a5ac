// Package rtc is the client side of the Mind API's WebRTC connection: one
// pion peer connection carrying the negotiated notification data channel,
// the four publication sections and any number of receive slots, laid out
// and munged as protocol §4 requires.
//
// The package is built to be driven by a single owner (the session actor).
// The owner creates a [Conn] from an [Engine], asks it for offers with
// [Conn.CreateOffer], posts them itself and hands the answers back with
// [Conn.ApplyAnswer]. Everything the connection learns on its own (data
// channel open, messages, remote tracks, failures) is reported through the
// functions of [Handlers], which are called from pion's goroutines and must
// return quickly.
//
// # Section layout
//
// Position 0 is the data channel and is the only section of the first
// offer. [Conn.AddPublications] adds positions 1 to 4 (primary audio,
// primary video, secondary audio, secondary video) and then one receive
// slot per subscription made so far; later subscriptions append slots or
// reuse parked ones, most recently parked first, per kind.
//
// # Directions
//
// pion v4 has no direction setter. Each publication section keeps one
// pion sender, and so its SSRCs, for the life of the connection; the
// application's tracks are attached to it and detached again, and the
// offer sent declares the section sendonly or inactive accordingly. Every
// new track is renumbered and restamped to continue the encoding's
// sequence numbers and timestamps, so publishing again after a pause, or
// another stream, looks to the server like one stream that paused.
// Receive slots stay recvonly in the local description; a parked slot is
// turned inactive only in the copy of the offer that is sent (protocol
// §4.13 allows this), and the server's inactive answer is applied as is.
//
// # Limitations
//
//   - Video publications are RID simulcast only (VP9/SVC mode is not
//     implemented). pion does not stamp the mid and rid header extensions
//     on outgoing packets, so the connection wraps every published track
//     and does it itself; RTX is not offered.
//   - A publication may send VP8 or H.264, whichever the track attached
//     produces, and may switch codec on a live section; pion's
//     interceptors keep describing the stream with the codec of the first
//     track bound (see relayTrack.Bind in relay.go).
//   - Statistics are pion's: [Conn.RTPStats] gives the statistics
//     interceptor's per-SSRC counters (sent and received) and
//     [Conn.GetStats] the transport and candidate pairs. pion produces no
//     audio levels, jitter-buffer, sample or frame counters.
//   - pion v4.2.26 can leave a goroutine behind when a connection is
//     closed within about a hundred milliseconds of a negotiation; see
//     [Conn.Close].
package rtc
