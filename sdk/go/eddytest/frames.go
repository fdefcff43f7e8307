package eddytest

import (
	"encoding/binary"
	"errors"
	"fmt"

	eddy "eddy.local/sdk"
)

// The executor's half of the frames (docs/protocol.md sections 1-3 and 11):
// it encodes the requests the SDK decodes and decodes the frames the SDK
// encodes. It shares no code with the SDK on purpose, so a test built on it
// checks the SDK's bytes against a second reading of the protocol.

// Frame types of the SDK protocol (docs/protocol.md 11.3).
const (
	FrameSDKHello    byte = 0x40
	FrameInit        byte = 0x41
	FrameProcess     byte = 0x42
	FrameFireTimers  byte = 0x43
	FrameTransaction byte = 0x44
	FrameShutdown    byte = 0x45
	FrameGoodbye     byte = 0x46
	FrameError       byte = 0x47
)

// Codes of the error frame.
const (
	ErrorProtocol    uint16 = 1
	ErrorUnsupported uint16 = 2
	ErrorInternal    uint16 = 3
)

// Init is the init request: the instance's place among its computation's
// instances, the retries a failing callback gets, and the configuration as
// a JSON object of strings. An executor sends Count >= 1 and Config "{}" at
// the least.
type Init struct {
	Index, Count, MaxRetries uint32
	Config                   string
}

// Record is one record of a process request, with the state entries of its
// key the executor sends along (name, value, name, value...).
type Record struct {
	Stream, Key, Value string
	Time               int64
	State              []string
	Trace              string // its 25-byte trace context, "" when untraced
}

// Timer is one timer of a fire_timers request, with its key's state entries
// (name, value, name, value...).
type Timer struct {
	Key, Tag string
	Time     int64
	Domain   eddy.TimeDomain
	State    []string
}

// Transaction is what the SDK answers a request with, decoded.
type Transaction struct {
	Batch    uint64
	Produced []Output
	Writes   []Write
	Timers   []TimerSet
	Logs     []Log
	Failures []Failure
}

// Output is a produced record.
type Output struct {
	Stream, Key, Value string
	Time               int64
	Trace              string // the 25-byte trace context it carries, "" when none
}

// WriteOp says whether a state write puts or erases a value.
type WriteOp byte

const (
	Put   WriteOp = 0
	Erase WriteOp = 1
)

// Write is a state write of the key Key; Value is empty for an Erase.
type Write struct {
	Key, Name string
	Op        WriteOp
	Value     string
}

// TimerSet is a timer a callback set.
type TimerSet struct {
	Key, Tag string
	Time     int64
	Domain   eddy.TimeDomain
}

// Log is a line a callback logged.
type Log struct {
	Level eddy.LogLevel
	Text  string
}

// Failure is a callback that failed: Index is the record's or timer's
// place in the request (0 for Init), Attempts how often it ran.
type Failure struct {
	Index, Attempts uint32
	Message         string
}

// Hello is the SDK's first frame.
type Hello struct {
	Version  uint16
	SDK      string
	Metadata string // the computation's metadata as JSON
}

// ErrorFrame is an error frame: the SDK's last word on a broken conversation.
type ErrorFrame struct {
	Code    uint16
	Message string
}

// Frame returns a whole frame: length, type and payload.
func Frame(frameType byte, payload []byte) []byte {
	b := binary.LittleEndian.AppendUint32(nil, uint32(len(payload)+1))
	return append(append(b, frameType), payload...)
}

// InitPayload encodes an init request's payload.
func InitPayload(init Init) []byte {
	b := binary.LittleEndian.AppendUint32(nil, init.Index)
	b = binary.LittleEndian.AppendUint32(b, init.Count)
	b = binary.LittleEndian.AppendUint32(b, init.MaxRetries)
	return appendString(b, init.Config)
}

// ProcessPayload encodes a process request's payload.
func ProcessPayload(batch uint64, watermark int64, records ...Record) []byte {
	b := binary.LittleEndian.AppendUint64(nil, batch)
	b = binary.LittleEndian.AppendUint64(b, uint64(watermark))
	b = appendVarint(b, uint64(len(records)))
	for _, r := range records {
		b = appendString(appendString(appendString(b, r.Stream), r.Key), r.Value)
		b = binary.LittleEndian.AppendUint64(b, uint64(r.Time))
		b = appendState(b, r.State)
	}
	return appendTraceSection(b, len(records), func(i int) string { return records[i].Trace })
}

// appendTraceSection appends the (index, context) pairs of the items whose
// trace is not empty, after their count.
func appendTraceSection(b []byte, n int, trace func(int) string) []byte {
	traced := 0
	for i := 0; i < n; i++ {
		if trace(i) != "" {
			traced++
		}
	}
	b = appendVarint(b, uint64(traced))
	for i := 0; i < n; i++ {
		if t := trace(i); t != "" {
			b = append(appendVarint(b, uint64(i)), t...)
		}
	}
	return b
}

// TraceContextBytes is the size of a trace context (docs/protocol.md 6.3).
const TraceContextBytes = 25

// FireTimersPayload encodes a fire_timers request's payload.
func FireTimersPayload(batch uint64, watermark int64, timers ...Timer) []byte {
	b := binary.LittleEndian.AppendUint64(nil, batch)
	b = binary.LittleEndian.AppendUint64(b, uint64(watermark))
	b = appendVarint(b, uint64(len(timers)))
	for _, t := range timers {
		b = appendString(appendString(b, t.Key), t.Tag)
		b = append(binary.LittleEndian.AppendUint64(b, uint64(t.Time)), byte(t.Domain))
		b = appendState(b, t.State)
	}
	return b
}

// DecodeHello decodes an sdk_hello payload.
func DecodeHello(payload []byte) (Hello, error) {
	d := decoder{b: payload}
	h := Hello{d.u16("version"), d.string("sdk"), d.string("metadata")}
	return h, d.finish("sdk_hello")
}

// DecodeTransaction decodes a transaction payload. It is strict: a
// truncated field, a non-minimal varint or a trailing byte is an error.
func DecodeTransaction(payload []byte) (Transaction, error) {
	d := decoder{b: payload}
	var tx Transaction
	tx.Batch = d.u64("batch")
	for n := d.varint("produced"); n > 0 && d.err == nil; n-- {
		tx.Produced = append(tx.Produced, Output{Stream: d.string("stream"), Key: d.string("key"), Value: d.string("value"), Time: d.i64("time")})
	}
	for n := d.varint("writes"); n > 0 && d.err == nil; n-- {
		tx.Writes = append(tx.Writes, Write{d.string("key"), d.string("name"), WriteOp(d.u8("op")), d.string("value")})
	}
	for n := d.varint("timers"); n > 0 && d.err == nil; n-- {
		tx.Timers = append(tx.Timers, TimerSet{d.string("key"), d.string("tag"), d.i64("time"), eddy.TimeDomain(d.u8("domain"))})
	}
	for n := d.varint("logs"); n > 0 && d.err == nil; n-- {
		tx.Logs = append(tx.Logs, Log{eddy.LogLevel(d.u8("level")), d.string("text")})
	}
	for n := d.varint("failures"); n > 0 && d.err == nil; n-- {
		tx.Failures = append(tx.Failures, Failure{d.u32("index"), d.u32("attempts"), d.string("message")})
	}
	next := uint64(0)
	for n := d.varint("traced"); n > 0 && d.err == nil; n-- {
		index := d.varint("traced index")
		trace := d.take("trace context", TraceContextBytes)
		if d.err == nil && (index < next || index >= uint64(len(tx.Produced))) {
			d.err = fmt.Errorf("traced index %d is not after the previous one and below the %d produced", index, len(tx.Produced))
		}
		if d.err == nil {
			tx.Produced[index].Trace = string(trace)
		}
		next = index + 1
	}
	return tx, d.finish("transaction")
}

// DecodeError decodes an error payload.
func DecodeError(payload []byte) (ErrorFrame, error) {
	d := decoder{b: payload}
	e := ErrorFrame{d.u16("code"), d.string("message")}
	return e, d.finish("error")
}

func appendVarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func appendString(b []byte, s string) []byte {
	return append(appendVarint(b, uint64(len(s))), s...)
}

func appendState(b []byte, entries []string) []byte {
	b = appendVarint(b, uint64(len(entries)/2))
	for _, s := range entries {
		b = appendString(b, s)
	}
	return b
}

// decoder reads a payload's fields; the first failure sticks and later
// reads return zero values.
type decoder struct {
	b   []byte
	err error
}

var errTruncated = errors.New("truncated")

func (d *decoder) take(field string, n uint64) []byte {
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.err = fmt.Errorf("%s: %w: needs %d bytes, %d left", field, errTruncated, n, len(d.b))
		return nil
	}
	p := d.b[:n]
	d.b = d.b[n:]
	return p
}

func (d *decoder) u8(field string) byte {
	if p := d.take(field, 1); p != nil {
		return p[0]
	}
	return 0
}

func (d *decoder) u16(field string) uint16 {
	if p := d.take(field, 2); p != nil {
		return binary.LittleEndian.Uint16(p)
	}
	return 0
}

func (d *decoder) u32(field string) uint32 {
	if p := d.take(field, 4); p != nil {
		return binary.LittleEndian.Uint32(p)
	}
	return 0
}

func (d *decoder) u64(field string) uint64 {
	if p := d.take(field, 8); p != nil {
		return binary.LittleEndian.Uint64(p)
	}
	return 0
}

func (d *decoder) i64(field string) int64 { return int64(d.u64(field)) }

// varint reads a LEB128 varint of at most 10 bytes, in its shortest form.
func (d *decoder) varint(field string) uint64 {
	var v uint64
	for shift := 0; d.err == nil; shift += 7 {
		c := d.u8(field)
		switch {
		case d.err != nil:
		case shift == 63 && c > 1:
			d.err = fmt.Errorf("%s: varint overflows 64 bits", field)
		case c == 0 && shift > 0:
			d.err = fmt.Errorf("%s: varint not in its shortest form", field)
		default:
			v |= uint64(c&0x7f) << shift
			if c < 0x80 {
				return v
			}
		}
	}
	return 0
}

func (d *decoder) string(field string) string {
	n := d.varint(field)
	return string(d.take(field, n))
}

func (d *decoder) finish(what string) error {
	if d.err == nil && len(d.b) != 0 {
		d.err = fmt.Errorf("%d trailing bytes", len(d.b))
	}
	if d.err != nil {
		return fmt.Errorf("malformed %s: %w", what, d.err)
	}
	return nil
}
