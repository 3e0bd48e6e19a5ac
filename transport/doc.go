// Package transport holds everything of the Mind API that crosses the
// network and is shared by the SDK and the reference server: the JSON
// resources (conference, participant, message), the notification envelope,
// the enumerations with their validation, the close codes and the
// conference URI rules of protocol §1.1.
//
// Decoders in this package accept what a real server or client may send:
// unknown fields are ignored, a participant's priority is a float, and a
// missing, null or unknown language is kept rather than rejected (see
// [Language.Valid]). Subpackages implement the channels themselves.
package transport
