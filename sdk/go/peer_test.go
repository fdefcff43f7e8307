package eddy

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// peer is the executor's end of a test conversation: it writes requests and
// reads the SDK's frames, each read bounded by a deadline.
type peer struct {
	t    *testing.T
	conn net.Conn
}

const ioDeadline = 10 * time.Second

func (p *peer) sendRaw(b []byte) {
	p.t.Helper()
	p.conn.SetWriteDeadline(time.Now().Add(ioDeadline))
	if _, err := p.conn.Write(b); err != nil {
		p.t.Fatalf("writing to the SDK: %v", err)
	}
}

func (p *peer) send(frameType byte, payload []byte) {
	p.t.Helper()
	p.sendRaw(endFrame(append(beginFrame(nil, frameType), payload...), 0))
}

// readRaw returns the next whole frame, header included.
func (p *peer) readRaw() []byte {
	p.t.Helper()
	p.conn.SetReadDeadline(time.Now().Add(ioDeadline))
	header := make([]byte, 4)
	if _, err := io.ReadFull(p.conn, header); err != nil {
		p.t.Fatalf("reading a frame from the SDK: %v", err)
	}
	frame := make([]byte, 4+binary.LittleEndian.Uint32(header))
	copy(frame, header)
	if _, err := io.ReadFull(p.conn, frame[4:]); err != nil {
		p.t.Fatalf("reading a frame from the SDK: %v", err)
	}
	return frame
}

// expect reads the next frame, checks its type and returns its payload.
func (p *peer) expect(frameType byte) []byte {
	p.t.Helper()
	frame := p.readRaw()
	if frame[4] != frameType {
		p.t.Fatalf("got a %s frame (payload % x), want %s", frameTypeName(frame[4]), frame[5:], frameTypeName(frameType))
	}
	return frame[5:]
}

// expectClosed checks that the SDK closed the connection.
func (p *peer) expectClosed() {
	p.t.Helper()
	p.conn.SetReadDeadline(time.Now().Add(ioDeadline))
	var b [1]byte
	if n, err := p.conn.Read(b[:]); !errors.Is(err, io.EOF) {
		p.t.Fatalf("read %d bytes (% x), %v; want the connection closed", n, b[:n], err)
	}
}

func initPayload(index, count, maxRetries uint32, config string) []byte {
	b := appendU32(nil, index)
	b = appendU32(b, count)
	b = appendU32(b, maxRetries)
	return appendString(b, config)
}

// Builders of process and fire_timers payloads.

type inRecord struct {
	stream, key, value string
	time               int64
	state              []string // name, value, name, value...
}

func processPayload(batch uint64, watermark int64, records ...inRecord) []byte {
	b := appendU64(nil, batch)
	b = appendI64(b, watermark)
	b = appendVarint(b, uint64(len(records)))
	for _, r := range records {
		b = appendString(b, r.stream)
		b = appendString(b, r.key)
		b = appendString(b, r.value)
		b = appendI64(b, r.time)
		b = appendStateEntries(b, r.state)
	}
	return b
}

type inTimer struct {
	key, tag string
	time     int64
	domain   TimeDomain
	state    []string
}

func fireTimersPayload(batch uint64, watermark int64, timers ...inTimer) []byte {
	b := appendU64(nil, batch)
	b = appendI64(b, watermark)
	b = appendVarint(b, uint64(len(timers)))
	for _, t := range timers {
		b = appendString(b, t.key)
		b = appendString(b, t.tag)
		b = appendI64(b, t.time)
		b = append(b, byte(t.domain))
		b = appendStateEntries(b, t.state)
	}
	return b
}

func appendStateEntries(b []byte, entries []string) []byte {
	b = appendVarint(b, uint64(len(entries)/2))
	for _, s := range entries {
		b = appendString(b, s)
	}
	return b
}

// A decoded transaction, fields as strings for easy comparison.

type outRecord struct {
	stream, key, value string
	time               int64
}

type outWrite struct {
	key, name string
	op        byte
	value     string
}

type outTimer struct {
	key, tag string
	time     int64
	domain   TimeDomain
}

type outLog struct {
	level LogLevel
	text  string
}

type outFailure struct {
	index, attempts uint32
	message         string
}

type transaction struct {
	batch    uint64
	produced []outRecord
	writes   []outWrite
	timers   []outTimer
	logs     []outLog
	failures []outFailure
}

func decodeTransaction(t *testing.T, payload []byte) transaction {
	t.Helper()
	d := decoder{buf: payload}
	var tx transaction
	tx.batch = d.u64("batch")
	for n := d.varint("produced"); n > 0 && d.err == nil; n-- {
		tx.produced = append(tx.produced, outRecord{string(d.bytes("stream")), string(d.bytes("key")), string(d.bytes("value")), d.i64("time")})
	}
	for n := d.varint("writes"); n > 0 && d.err == nil; n-- {
		tx.writes = append(tx.writes, outWrite{string(d.bytes("key")), string(d.bytes("name")), d.u8("op"), string(d.bytes("value"))})
	}
	for n := d.varint("timers"); n > 0 && d.err == nil; n-- {
		tx.timers = append(tx.timers, outTimer{string(d.bytes("key")), string(d.bytes("tag")), d.i64("time"), TimeDomain(d.u8("domain"))})
	}
	for n := d.varint("logs"); n > 0 && d.err == nil; n-- {
		tx.logs = append(tx.logs, outLog{LogLevel(d.u8("level")), string(d.bytes("text"))})
	}
	for n := d.varint("failures"); n > 0 && d.err == nil; n-- {
		tx.failures = append(tx.failures, outFailure{d.u32("index"), d.u32("attempts"), string(d.bytes("message"))})
	}
	if err := d.finish(); err != nil {
		t.Fatalf("the SDK sent a malformed transaction: %v", err)
	}
	return tx
}
