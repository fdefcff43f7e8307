package eddy

import (
	"errors"
	"fmt"
)

// ProtocolError is a frame the SDK could not decode or did not expect. Serve
// has sent the executor an error frame (code 1, protocol_error) with Message
// before returning it.
type ProtocolError struct {
	Message string
}

func (e *ProtocolError) Error() string { return "protocol error: " + e.Message }

func protocolErrorf(format string, args ...any) *ProtocolError {
	return &ProtocolError{Message: fmt.Sprintf(format, args...)}
}

// InternalError is a failure of the SDK itself, not of a callback (e.g. a
// transaction over the executor's 64 MiB limit). Serve has sent an error
// frame with code 3 (internal).
type InternalError struct {
	Message string
}

func (e *InternalError) Error() string { return "internal error: " + e.Message }

// PeerError is an error frame the executor sent.
type PeerError struct {
	Code    uint16
	Message string
}

func (e *PeerError) Error() string {
	return fmt.Sprintf("the executor reported error %d: %s", e.Code, e.Message)
}

// ErrConnectionClosed is the executor closing the connection between two
// frames without sending shutdown.
var ErrConnectionClosed = errors.New("the executor closed the connection without shutdown")
