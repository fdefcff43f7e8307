// Package eddytest is a testing aid for Go computations: the executor's half
// of the executor <-> SDK protocol (docs/protocol.md, section 11), so a test
// can drive a computation without an executor. It is not for production
// use; computations import it from their _test.go files only.
//
// Start runs a computation with eddy.Serve over an in-memory connection and
// sends init; the test then sends requests and gets their transactions back
// as plain Go values:
//
//	func TestCounter(t *testing.T) {
//		c, _ := eddytest.Start(t, counter{}, eddytest.Init{Count: 1, Config: "{}"})
//		tx := c.Process(1, 0, eddytest.Record{Stream: "words", Key: "sea", Value: "1", Time: 5})
//		want := []eddytest.Output{{Stream: "counts", Key: "sea", Value: "1", Time: 5}}
//		if !reflect.DeepEqual(tx.Produced, want) {
//			t.Errorf("produced %+v, want %+v", tx.Produced, want)
//		}
//		c.Shutdown()
//	}
//
// An Executor holds the same conversation on any net.Conn, e.g. with a user
// process that connected to a Unix socket; frames.go encodes requests and
// decodes the SDK's frames for tests that need the bytes themselves. Every
// read and write is bounded by Deadline, and every failure ends the test
// with t.Fatal.
package eddytest

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	eddy "eddy.local/sdk"
)

// Deadline bounds each read and write of an Executor.
const Deadline = 10 * time.Second

// Executor is the executor's end of a conversation with the SDK. Use it
// from the test's goroutine only.
type Executor struct {
	t    testing.TB
	conn net.Conn
}

// NewExecutor speaks for the executor on conn; it does not close conn.
func NewExecutor(t testing.TB, conn net.Conn) *Executor { return &Executor{t: t, conn: conn} }

// Conn is the connection to the SDK.
func (e *Executor) Conn() net.Conn { return e.conn }

// SendRaw writes b as it is, frame or not.
func (e *Executor) SendRaw(b []byte) {
	e.t.Helper()
	e.conn.SetWriteDeadline(time.Now().Add(Deadline))
	if _, err := e.conn.Write(b); err != nil {
		e.t.Fatalf("writing to the SDK: %v", err)
	}
}

// Send writes one frame.
func (e *Executor) Send(frameType byte, payload []byte) {
	e.t.Helper()
	e.SendRaw(Frame(frameType, payload))
}

// ReadFrame returns the SDK's next whole frame, length included.
func (e *Executor) ReadFrame() []byte {
	e.t.Helper()
	e.conn.SetReadDeadline(time.Now().Add(Deadline))
	header := make([]byte, 4)
	if _, err := io.ReadFull(e.conn, header); err != nil {
		e.t.Fatalf("reading a frame from the SDK: %v", err)
	}
	length := binary.LittleEndian.Uint32(header)
	if length == 0 {
		e.t.Fatalf("the SDK sent a frame of length 0")
	}
	frame := make([]byte, 4+length)
	copy(frame, header)
	if _, err := io.ReadFull(e.conn, frame[4:]); err != nil {
		e.t.Fatalf("reading a frame from the SDK: %v", err)
	}
	return frame
}

// Expect reads the next frame, checks its type and returns its payload.
func (e *Executor) Expect(frameType byte) []byte {
	e.t.Helper()
	frame := e.ReadFrame()
	if frame[4] != frameType {
		e.t.Fatalf("got a frame of type 0x%02x (payload % x), want 0x%02x", frame[4], frame[5:], frameType)
	}
	return frame[5:]
}

// ExpectClosed checks that the SDK closed the connection.
func (e *Executor) ExpectClosed() {
	e.t.Helper()
	e.conn.SetReadDeadline(time.Now().Add(Deadline))
	var b [1]byte
	if n, err := e.conn.Read(b[:]); !errors.Is(err, io.EOF) {
		e.t.Fatalf("read %d bytes (% x), %v; want the connection closed", n, b[:n], err)
	}
}

// ReadHello reads and decodes sdk_hello.
func (e *Executor) ReadHello() Hello {
	e.t.Helper()
	h, err := DecodeHello(e.Expect(FrameSDKHello))
	if err != nil {
		e.t.Fatal(err)
	}
	return h
}

// ReadTransaction reads and decodes a transaction.
func (e *Executor) ReadTransaction() Transaction {
	e.t.Helper()
	tx, err := DecodeTransaction(e.Expect(FrameTransaction))
	if err != nil {
		e.t.Fatal(err)
	}
	return tx
}

// ReadError reads and decodes an error frame.
func (e *Executor) ReadError() ErrorFrame {
	e.t.Helper()
	f, err := DecodeError(e.Expect(FrameError))
	if err != nil {
		e.t.Fatal(err)
	}
	return f
}

// Init sends init and returns its transaction (what the computation's Init
// did).
func (e *Executor) Init(init Init) Transaction {
	e.t.Helper()
	e.Send(FrameInit, InitPayload(init))
	return e.ReadTransaction()
}

// Process sends a process request and returns its transaction.
func (e *Executor) Process(batch uint64, watermark int64, records ...Record) Transaction {
	e.t.Helper()
	e.Send(FrameProcess, ProcessPayload(batch, watermark, records...))
	return e.ReadTransaction()
}

// FireTimers sends a fire_timers request and returns its transaction.
func (e *Executor) FireTimers(batch uint64, watermark int64, timers ...Timer) Transaction {
	e.t.Helper()
	e.Send(FrameFireTimers, FireTimersPayload(batch, watermark, timers...))
	return e.ReadTransaction()
}

// Shutdown sends shutdown and expects goodbye.
func (e *Executor) Shutdown() {
	e.t.Helper()
	e.Send(FrameShutdown, nil)
	e.Expect(FrameGoodbye)
}

// Conversation is a computation served by eddy.Serve in a goroutine of the
// test, with the test as its executor over net.Pipe.
type Conversation struct {
	*Executor
	Hello  Hello // the SDK's sdk_hello
	served chan error
}

// Start serves c, reads its hello and sends init; it returns the
// conversation and init's transaction. When the test ends the connection is
// closed and Serve awaited.
func Start(t testing.TB, c eddy.Computation, init Init) (*Conversation, Transaction) {
	t.Helper()
	executorEnd, sdkEnd := net.Pipe()
	conv := &Conversation{Executor: NewExecutor(t, executorEnd), served: make(chan error, 1)}
	go func() { conv.served <- eddy.Serve(sdkEnd, c); sdkEnd.Close() }()
	t.Cleanup(func() {
		executorEnd.Close()
		select {
		case <-conv.served:
		case <-time.After(Deadline):
			t.Errorf("eddy.Serve did not return after the connection closed")
		}
	})
	conv.Hello = conv.ReadHello()
	return conv, conv.Init(init)
}

// Shutdown sends shutdown, expects goodbye and checks that Serve returned
// nil.
func (c *Conversation) Shutdown() {
	c.t.Helper()
	c.Executor.Shutdown()
	select {
	case err := <-c.served:
		if err != nil {
			c.t.Fatalf("eddy.Serve returned %v after shutdown", err)
		}
		c.served <- nil // for the cleanup
	case <-time.After(Deadline):
		c.t.Fatal("eddy.Serve did not return after shutdown")
	}
}
