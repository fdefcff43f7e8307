package eddy

import "testing"

// What the external tests (package eddy_test, which drive the SDK through
// eddytest) take from the internal ones.

// WorkedFrames are the process frame of docs/protocol.md 11.5 and the
// transaction the counter there answers it with, byte for byte.
func WorkedFrames(t *testing.T) (process, transaction []byte) {
	return unhex(t, workedProcess), unhex(t, workedTransaction)
}
