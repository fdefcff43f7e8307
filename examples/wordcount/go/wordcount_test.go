package main

import (
	"encoding/binary"
	"io"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	eddy "eddy.local/sdk"
)

// executor drives one computation through eddy.Serve over an in-memory
// connection, the way the real executor would over its socket.
type executor struct {
	t      *testing.T
	conn   net.Conn
	served chan error
}

func start(t *testing.T, c eddy.Computation, config string) *executor {
	executorEnd, sdkEnd := net.Pipe()
	e := &executor{t: t, conn: executorEnd, served: make(chan error, 1)}
	go func() { e.served <- eddy.Serve(sdkEnd, c); sdkEnd.Close() }()
	t.Cleanup(func() { executorEnd.Close() })
	e.read() // sdk_hello
	p := binary.LittleEndian.AppendUint32(nil, 0)
	p = binary.LittleEndian.AppendUint32(p, 1)
	p = binary.LittleEndian.AppendUint32(p, 0)
	e.send(0x41, appendBytes(p, config))
	return e
}

func appendVarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func appendBytes(b []byte, s string) []byte { return append(appendVarint(b, uint64(len(s))), s...) }

// reader takes a transaction apart; the SDK's own tests check its encoding
// byte for byte, so this one trusts it to be well formed.
type reader struct{ b []byte }

func (r *reader) varint() uint64 {
	var v uint64
	for shift := 0; ; shift += 7 {
		c := r.b[0]
		r.b = r.b[1:]
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return v
		}
	}
}

func (r *reader) bytes() string {
	n := r.varint()
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *reader) fixed(n int) []byte {
	p := r.b[:n]
	r.b = r.b[n:]
	return p
}

// result is a transaction's records as "stream key value time" and its
// failures' messages.
type result struct {
	produced []string
	failures []string
}

func (e *executor) transaction() result {
	e.t.Helper()
	frameType, payload := e.read()
	if frameType != 0x44 {
		e.t.Fatalf("got frame type 0x%02x, want a transaction", frameType)
	}
	r := reader{payload}
	r.fixed(8) // batch
	var res result
	for n := r.varint(); n > 0; n-- {
		stream, key, value := r.bytes(), r.bytes(), r.bytes()
		time := int64(binary.LittleEndian.Uint64(r.fixed(8)))
		res.produced = append(res.produced, strings.Join([]string{stream, key, value, strconv.FormatInt(time, 10)}, " "))
	}
	for n := r.varint(); n > 0; n-- { // writes
		r.bytes()
		r.bytes()
		r.fixed(1)
		r.bytes()
	}
	for n := r.varint(); n > 0; n-- { // timers
		r.bytes()
		r.bytes()
		r.fixed(9)
	}
	for n := r.varint(); n > 0; n-- { // logs
		r.fixed(1)
		r.bytes()
	}
	for n := r.varint(); n > 0; n-- {
		r.fixed(8)
		res.failures = append(res.failures, r.bytes())
	}
	return res
}

// record is one input record: stream, key, value, time and state entries.
type record struct {
	stream, key, value string
	time               int64
	state              []string // name, value, ...
}

func (e *executor) process(batch uint64, records ...record) result {
	e.t.Helper()
	p := binary.LittleEndian.AppendUint64(nil, batch)
	p = binary.LittleEndian.AppendUint64(p, 0)
	p = appendVarint(p, uint64(len(records)))
	for _, r := range records {
		p = appendBytes(appendBytes(appendBytes(p, r.stream), r.key), r.value)
		p = binary.LittleEndian.AppendUint64(p, uint64(r.time))
		p = appendVarint(p, uint64(len(r.state)/2))
		for _, s := range r.state {
			p = appendBytes(p, s)
		}
	}
	e.send(0x42, p)
	return e.transaction()
}

func (e *executor) shutdown() {
	e.t.Helper()
	e.send(0x45, nil)
	if frameType, _ := e.read(); frameType != 0x46 {
		e.t.Fatalf("got frame type 0x%02x after shutdown, want goodbye", frameType)
	}
	if err := <-e.served; err != nil {
		e.t.Fatal(err)
	}
}

func check(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s\n got %q\nwant %q", what, got, want)
	}
}

func TestSplitter(t *testing.T) {
	e := start(t, splitter{}, "{}")
	e.transaction()
	res := e.process(1, record{"lines", "", "the river  the\tsea ", 7, nil}, record{"lines", "k", "  ", 8, nil})
	check(t, "words", res.produced, []string{"words the 1 7", "words river 1 7", "words the\tsea 1 7"})
	e.shutdown()
}

func TestCounter(t *testing.T) {
	e := start(t, counter{}, "{}")
	e.transaction()
	res := e.process(1,
		record{"words", "the", "1", 1, []string{"count", "41"}},
		record{"words", "sea", "1", 2, nil},
		record{"words", "the", "1", 3, nil})
	check(t, "counts", res.produced, []string{"counts the 42 1", "counts sea 1 2", "counts the 43 3"})
	e.shutdown()
}

func TestSink(t *testing.T) {
	path := filepath.Join(t.TempDir(), "counts.txt")
	e := start(t, &sink{}, `{"path":"`+path+`"}`)
	check(t, "init failures", e.transaction().failures, []string(nil))
	e.process(1, record{"counts", "the", "1", 1, nil}, record{"counts", "sea", "2", 2, nil})
	// The transaction is back: the lines must already be in the file.
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	check(t, "file", string(got), "the 1\nsea 2\n")
	e.shutdown()
}

func TestSinkWithoutPathFailsInit(t *testing.T) {
	e := start(t, &sink{}, "{}")
	failures := e.transaction().failures
	if len(failures) != 1 || !strings.Contains(failures[0], `config "path" is required`) {
		t.Errorf("init failures %q, want one naming the missing path", failures)
	}
	e.shutdown()
}

func (e *executor) send(frameType byte, payload []byte) {
	e.conn.SetDeadline(time.Now().Add(10 * time.Second))
	frame := binary.LittleEndian.AppendUint32(nil, uint32(len(payload)+1))
	if _, err := e.conn.Write(append(append(frame, frameType), payload...)); err != nil {
		e.t.Fatal(err)
	}
}

func (e *executor) read() (byte, []byte) {
	e.conn.SetDeadline(time.Now().Add(10 * time.Second))
	header := make([]byte, 4)
	if _, err := io.ReadFull(e.conn, header); err != nil {
		e.t.Fatal(err)
	}
	body := make([]byte, binary.LittleEndian.Uint32(header))
	if _, err := io.ReadFull(e.conn, body); err != nil {
		e.t.Fatal(err)
	}
	return body[0], body[1:]
}
