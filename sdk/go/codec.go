package eddy

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// The bytes of the executor <-> SDK protocol: docs/protocol.md sections 1-3
// (little-endian integers, LEB128 varints, length-prefixed frames) and 11.3
// (frame types).

// Frame types of the SDK protocol.
const (
	typeSDKHello    byte = 0x40
	typeInit        byte = 0x41
	typeProcess     byte = 0x42
	typeFireTimers  byte = 0x43
	typeTransaction byte = 0x44
	typeShutdown    byte = 0x45
	typeGoodbye     byte = 0x46
	typeError       byte = 0x47
)

// protocolVersion is the version sent in sdk_hello: 2 carries trace
// contexts in a trailing section of process and transaction.
const protocolVersion = 2

// traceContextBytes is the size of a trace context on the wire
// (docs/protocol.md 6.3): trace id 16, span id 8, flags 1.
const traceContextBytes = 25

// maxFrameLength bounds a frame's length field in both directions: the
// executor accepts transactions up to 64 MiB, and its requests (at most
// 16 MiB) fit easily.
const maxFrameLength = 64 << 20

// Codes of the error frame.
const (
	errorCodeProtocol    = 1
	errorCodeUnsupported = 2
	errorCodeInternal    = 3
)

func frameTypeName(t byte) string {
	switch t {
	case typeSDKHello:
		return "sdk_hello"
	case typeInit:
		return "init"
	case typeProcess:
		return "process"
	case typeFireTimers:
		return "fire_timers"
	case typeTransaction:
		return "transaction"
	case typeShutdown:
		return "shutdown"
	case typeGoodbye:
		return "goodbye"
	case typeError:
		return "error"
	}
	return fmt.Sprintf("unknown type 0x%02x", t)
}

// Varint errors, as named in section 3.
var (
	errTruncated = errors.New("truncated")
	errBadVarint = errors.New("bad varint")
)

// decodeVarint reads an unsigned LEB128 varint from the start of b and
// returns it with the number of bytes it took. It rejects overlong
// encodings and values above 2^64-1 (errBadVarint) and a varint cut off by
// the end of b (errTruncated).
func decodeVarint(b []byte) (uint64, int, error) {
	if len(b) > 0 && b[0] < 0x80 {
		return uint64(b[0]), 1, nil
	}
	var v uint64
	for i := 0; i < 10; i++ {
		if i >= len(b) {
			return 0, 0, errTruncated
		}
		c := b[i]
		if i == 9 && c > 0x01 {
			return 0, 0, errBadVarint
		}
		v |= uint64(c&0x7f) << (7 * uint(i))
		if c < 0x80 {
			if c == 0 && i > 0 {
				return 0, 0, errBadVarint
			}
			return v, i + 1, nil
		}
	}
	return 0, 0, errBadVarint // unreachable: the tenth byte is at most 0x01
}

func appendVarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func appendBytes(b []byte, p []byte) []byte {
	return append(appendVarint(b, uint64(len(p))), p...)
}

func appendString(b []byte, s string) []byte {
	return append(appendVarint(b, uint64(len(s))), s...)
}

func appendU16(b []byte, v uint16) []byte { return binary.LittleEndian.AppendUint16(b, v) }
func appendU32(b []byte, v uint32) []byte { return binary.LittleEndian.AppendUint32(b, v) }
func appendU64(b []byte, v uint64) []byte { return binary.LittleEndian.AppendUint64(b, v) }
func appendI64(b []byte, v int64) []byte  { return binary.LittleEndian.AppendUint64(b, uint64(v)) }

// beginFrame appends a frame header whose length endFrame fills in.
func beginFrame(b []byte, frameType byte) []byte {
	return append(b, 0, 0, 0, 0, frameType)
}

// endFrame patches the length of the frame that starts at b[start].
func endFrame(b []byte, start int) []byte {
	binary.LittleEndian.PutUint32(b[start:], uint32(len(b)-start-4))
	return b
}

// decoder reads one payload's fields. The first failure sticks: later reads
// return zero values, and err names the field that failed, so a caller checks
// once per record rather than once per field.
type decoder struct {
	buf []byte
	pos int
	err error
}

func (d *decoder) fail(field string, err error) {
	if d.err == nil {
		d.err = fmt.Errorf("%s: %w", field, err)
	}
	d.pos = len(d.buf)
}

func (d *decoder) fixed(field string, n int) []byte {
	if len(d.buf)-d.pos < n {
		d.fail(field, fmt.Errorf("%w: needs %d bytes, %d left", errTruncated, n, len(d.buf)-d.pos))
		return nil
	}
	p := d.buf[d.pos : d.pos+n]
	d.pos += n
	return p
}

func (d *decoder) u8(field string) byte {
	if p := d.fixed(field, 1); p != nil {
		return p[0]
	}
	return 0
}

func (d *decoder) u16(field string) uint16 {
	if p := d.fixed(field, 2); p != nil {
		return binary.LittleEndian.Uint16(p)
	}
	return 0
}

func (d *decoder) u32(field string) uint32 {
	if p := d.fixed(field, 4); p != nil {
		return binary.LittleEndian.Uint32(p)
	}
	return 0
}

func (d *decoder) u64(field string) uint64 {
	if p := d.fixed(field, 8); p != nil {
		return binary.LittleEndian.Uint64(p)
	}
	return 0
}

func (d *decoder) i64(field string) int64 { return int64(d.u64(field)) }

func (d *decoder) varint(field string) uint64 {
	if d.pos < len(d.buf) && d.buf[d.pos] < 0x80 {
		v := d.buf[d.pos]
		d.pos++
		return uint64(v)
	}
	v, n, err := decodeVarint(d.buf[d.pos:])
	if err != nil {
		d.fail(field, err)
		return 0
	}
	d.pos += n
	return v
}

// bytes returns a length-prefixed field as a sub-slice of the payload.
func (d *decoder) bytes(field string) []byte {
	n := d.varint(field)
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.buf)-d.pos) {
		d.fail(field, fmt.Errorf("%w: length %d, %d bytes left", errTruncated, n, len(d.buf)-d.pos))
		return nil
	}
	p := d.buf[d.pos : d.pos+int(n) : d.pos+int(n)]
	d.pos += int(n)
	return p
}

// finish reports the first failure, or bytes left after the last field.
func (d *decoder) finish() error {
	if d.err == nil && d.pos != len(d.buf) {
		d.err = fmt.Errorf("%d trailing bytes after the message", len(d.buf)-d.pos)
	}
	return d.err
}

// frameReader reads frames from a buffered stream into one reused buffer.
type frameReader struct {
	in      *bufio.Reader
	payload []byte
}

func newFrameReader(r io.Reader) *frameReader {
	return &frameReader{in: bufio.NewReaderSize(r, 1<<20)}
}

// next returns the next frame's type and payload; the payload is valid until
// the following call. It checks the length and that the type is one of the
// SDK protocol's before reading the payload. A stream that
// ends exactly between frames gives ErrConnectionClosed; any other failure is a
// *ProtocolError or a read error.
func (f *frameReader) next() (byte, []byte, error) {
	var header [5]byte
	n, err := io.ReadFull(f.in, header[:4])
	if err != nil {
		if n == 0 && errors.Is(err, io.EOF) {
			return 0, nil, ErrConnectionClosed
		}
		return 0, nil, readError("frame header", err)
	}
	length := binary.LittleEndian.Uint32(header[:4])
	if length == 0 {
		return 0, nil, protocolErrorf("frame length 0")
	}
	if length > maxFrameLength {
		return 0, nil, protocolErrorf("frame length %d exceeds the maximum %d", length, maxFrameLength)
	}
	if _, err := io.ReadFull(f.in, header[4:5]); err != nil {
		return 0, nil, readError("frame type", err)
	}
	frameType := header[4]
	if frameType < typeSDKHello || frameType > typeError {
		return 0, nil, protocolErrorf("unknown frame type 0x%02x", frameType)
	}
	size := int(length) - 1
	if cap(f.payload) < size {
		f.payload = make([]byte, size)
	}
	f.payload = f.payload[:size]
	if _, err := io.ReadFull(f.in, f.payload); err != nil {
		return 0, nil, readError(fmt.Sprintf("%s payload of %d bytes", frameTypeName(frameType), size), err)
	}
	return frameType, f.payload, nil
}

// readError turns a stream that ends inside a frame into a protocol error
// (a truncated frame) and passes other read errors on.
func readError(what string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return protocolErrorf("connection closed inside the %s", what)
	}
	return fmt.Errorf("reading the %s: %w", what, err)
}
