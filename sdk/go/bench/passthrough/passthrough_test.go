package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	eddy "eddy.local/sdk"
	"eddy.local/sdk/eddytest"
)

// The harness feeds Serve a prepared byte stream (init, process frames,
// shutdown) and counts what it writes back: decode -> callbacks -> encode,
// without a socket or an executor.

const (
	recordsPerRequest = 512
	valueSize         = 100
)

// conversation is the executor's side of requests process frames.
func conversation(requests int) []byte {
	stream := eddytest.Frame(eddytest.FrameInit, eddytest.InitPayload(eddytest.Init{Count: 1, Config: "{}"}))
	value := strings.Repeat("v", valueSize)
	records := make([]eddytest.Record, recordsPerRequest)
	for batch := 1; batch <= requests; batch++ {
		for i := range records {
			records[i] = eddytest.Record{Stream: "in", Key: fmt.Sprintf("key-%d", i), Value: value, Time: int64(batch*1000 + i)}
		}
		stream = append(stream, eddytest.Frame(eddytest.FrameProcess, eddytest.ProcessPayload(uint64(batch), 0, records...))...)
	}
	return append(stream, eddytest.Frame(eddytest.FrameShutdown, nil)...)
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
		if frames >= 2 && body[0] == eddytest.FrameTransaction {
			tx, err := eddytest.DecodeTransaction(body[1:])
			if err != nil {
				t.Fatal(err)
			}
			want := eddytest.Transaction{Batch: tx.Batch, Produced: make([]eddytest.Output, recordsPerRequest)}
			for i := range want.Produced {
				want.Produced[i] = eddytest.Output{Stream: "out", Key: fmt.Sprintf("key-%d", i),
					Value: strings.Repeat("v", valueSize), Time: int64(tx.Batch)*1000 + int64(i)}
			}
			if !reflect.DeepEqual(tx, want) {
				t.Errorf("transaction %d differs from the records it was sent", tx.Batch)
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
