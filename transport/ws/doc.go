// Package ws is the client side of the notification WebSocket of protocol
// §12: it dials the conference's notification endpoint with the
// participant token in the Authorization header, reads one notification
// per text frame, keeps the connection alive with pings and reports
// everything it reads to its owner through a callback that must not block.
//
// A [Conn] reports exactly one terminal event: the server's close status
// 4000 (conference ended) or 4001 (expelled), or a failure (any other
// close, a read error, a binary frame, a missed pong). Nothing is reported
// after [Conn.Close] has been called.
package ws
