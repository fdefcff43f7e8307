package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"testing"
	"time"

	eddy "eddy.local/sdk"
)

// The harness feeds Serve a prepared byte stream (init, process frames,
// shutdown) and counts what it writes back: decode -> callbacks -> encode,
// without a socket or an executor.

const (
	recordsPerRequest = 512
	valueSize         = 100
)

func appendVarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func appendBytes(b, p []byte) []byte { return append(appendVarint(b, uint64(len(p))), p...) }

func frame(b []byte, frameType byte, payload []byte) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(payload)+1))
	return append(append(b, frameType), payload...)
}

// conversation is the executor's side of requests process frames.
func conversation(requests int) []byte {
	initPayload := binary.LittleEndian.AppendUint32(nil, 0)
	initPayload = binary.LittleEndian.AppendUint32(initPayload, 1)
	initPayload = binary.LittleEndian.AppendUint32(initPayload, 0)
	initPayload = appendBytes(initPayload, []byte("{}"))
	stream := frame(nil, 0x41, initPayload)
	value := bytes.Repeat([]byte("v"), valueSize)
	for batch := 1; batch <= requests; batch++ {
		p := binary.LittleEndian.AppendUint64(nil, uint64(batch))
		p = binary.LittleEndian.AppendUint64(p, 0)
		p = appendVarint(p, recordsPerRequest)
		for i := 0; i < recordsPerRequest; i++ {
			p = appendBytes(p, []byte("in"))
			p = appendBytes(p, []byte(fmt.Sprintf("key-%d", i)))
			p = appendBytes(p, value)
			p = binary.LittleEndian.AppendUint64(p, uint64(batch*1000+i))
			p = append(p, 0)
		}
		stream = frame(stream, 0x42, p)
	}
	return frame(stream, 0x45, nil)
}

// executorEnd reads the prepared requests and collects the SDK's frames.
type executorEnd struct {
	io.Reader
	written bytes.Buffer
}

func (e *executorEnd) Write(p []byte) (int, error) { return e.written.Write(p) }

// sinkEnd reads the prepared requests and throws the SDK's frames away.
type sinkEnd struct {
	io.Reader
	written int
}

func (s *sinkEnd) Write(p []byte) (int, error) { s.written += len(p); return len(p), nil }

func TestPassthroughProducesEveryRecordUnchanged(t *testing.T) {
	end := &executorEnd{Reader: bytes.NewReader(conversation(2))}
	if err := eddy.Serve(end, passthrough{}); err != nil {
		t.Fatal(err)
	}
	out := end.written.Bytes()
	// hello, init's transaction, then two transactions of 512 records each.
	frames := 0
	for len(out) > 0 {
		length := binary.LittleEndian.Uint32(out)
		body := out[4 : 4+length]
		if frames >= 2 && body[0] == 0x44 {
			batch := binary.LittleEndian.Uint64(body[1:])
			want := []byte{0x44}
			want = binary.LittleEndian.AppendUint64(want, batch)
			want = appendVarint(want, recordsPerRequest)
			for i := 0; i < recordsPerRequest; i++ {
				want = appendBytes(want, []byte("out"))
				want = appendBytes(want, []byte(fmt.Sprintf("key-%d", i)))
				want = appendBytes(want, bytes.Repeat([]byte("v"), valueSize))
				want = binary.LittleEndian.AppendUint64(want, batch*1000+uint64(i))
			}
			want = append(want, 0, 0, 0, 0)
			if !bytes.Equal(body, want) {
				t.Errorf("transaction %d differs from the records it was sent", batch)
			}
		}
		out = out[4+length:]
		frames++
	}
	if frames != 5 {
		t.Errorf("the SDK sent %d frames, want 5 (hello, 3 transactions, goodbye)", frames)
	}
}

// BenchmarkPassthrough reports records/s of decode -> ProcessRecord -> encode.
func BenchmarkPassthrough(b *testing.B) {
	const requests = 200
	input := conversation(requests)
	b.SetBytes(int64(len(input)))
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if err := eddy.Serve(&sinkEnd{Reader: bytes.NewReader(input)}, passthrough{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*requests*recordsPerRequest)/time.Since(start).Seconds(), "records/s")
}

// BenchmarkPassthroughSocket is the same over a Unix socket, one request
// outstanding at a time as with the executor: it adds the system calls and
// the round trip of each request.
func BenchmarkPassthroughSocket(b *testing.B) {
	const requests = 200
	input := conversation(requests)
	socket := filepath.Join(b.TempDir(), "bench.sock")
	listener, err := net.Listen("unix", socket)
	if err != nil {
		b.Fatal(err)
	}
	defer listener.Close()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		sdkEnd, err := net.Dial("unix", socket)
		if err != nil {
			b.Fatal(err)
		}
		served := make(chan error, 1)
		go func() { served <- eddy.Serve(sdkEnd, passthrough{}); sdkEnd.Close() }()
		executorEnd, err := listener.Accept()
		if err != nil {
			b.Fatal(err)
		}
		readFrame(b, executorEnd) // sdk_hello
		for rest := input; len(rest) > 0; {
			n := 4 + int(binary.LittleEndian.Uint32(rest))
			if _, err := executorEnd.Write(rest[:n]); err != nil {
				b.Fatal(err)
			}
			rest = rest[n:]
			readFrame(b, executorEnd) // the transaction, or goodbye
		}
		if err := <-served; err != nil {
			b.Fatal(err)
		}
		executorEnd.Close()
	}
	b.ReportMetric(float64(b.N*requests*recordsPerRequest)/time.Since(start).Seconds(), "records/s")
}

var frameBuffer = make([]byte, 1<<20)

func readFrame(b *testing.B, conn net.Conn) {
	if _, err := io.ReadFull(conn, frameBuffer[:4]); err != nil {
		b.Fatal(err)
	}
	n := int(binary.LittleEndian.Uint32(frameBuffer))
	if _, err := io.ReadFull(conn, frameBuffer[:n]); err != nil {
		b.Fatal(err)
	}
}
