package main

import (
	"encoding/binary"
	"io"
	"net"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	eddy "eddy.local/sdk"
)

// executor drives campaignStats through eddy.Serve over an in-memory
// connection, the way the real executor does over its socket
// (docs/protocol.md section 11). It decodes only what these tests check.
type executor struct {
	t      *testing.T
	conn   net.Conn
	served chan error
}

func start(t *testing.T, config string) (*executor, result) {
	executorEnd, sdkEnd := net.Pipe()
	e := &executor{t: t, conn: executorEnd, served: make(chan error, 1)}
	go func() { e.served <- eddy.Serve(sdkEnd, newCampaignStats()); sdkEnd.Close() }()
	t.Cleanup(func() { executorEnd.Close() })
	e.read()                                      // sdk_hello
	p := binary.LittleEndian.AppendUint32(nil, 0) // instance index
	p = binary.LittleEndian.AppendUint32(p, 1)    // instance count
	p = binary.LittleEndian.AppendUint32(p, 0)    // max retries
	e.send(0x41, appendBytes(p, config))
	return e, e.transaction()
}

// result is a transaction: records as "stream key value time", state writes
// as "key name value" (erase: "key name -"), timers as "key tag time
// domain", log texts and failure messages.
type result struct {
	produced, writes, timers, logs, failures []string
}

// item is one record or timer of a request: key, value (a record's) or
// tag (a timer's), time, and the key's state entries (name, value, ...).
type item struct {
	key, value string
	time       int64
	state      []string
}

func (e *executor) process(batch uint64, records ...item) result {
	e.t.Helper()
	p := binary.LittleEndian.AppendUint64(nil, batch)
	p = binary.LittleEndian.AppendUint64(p, 0) // watermark
	p = appendVarint(p, uint64(len(records)))
	for _, r := range records {
		p = appendBytes(appendBytes(appendBytes(p, "enriched_events"), r.key), r.value)
		p = appendState(binary.LittleEndian.AppendUint64(p, uint64(r.time)), r.state)
	}
	e.send(0x42, p)
	return e.transaction()
}

func (e *executor) fireTimers(batch uint64, timers ...item) result {
	e.t.Helper()
	p := binary.LittleEndian.AppendUint64(nil, batch)
	p = binary.LittleEndian.AppendUint64(p, 0)
	p = appendVarint(p, uint64(len(timers)))
	for _, t := range timers {
		p = appendBytes(appendBytes(p, t.key), t.value)
		p = append(binary.LittleEndian.AppendUint64(p, uint64(t.time)), byte(eddy.ProcessingTime))
		p = appendState(p, t.state)
	}
	e.send(0x43, p)
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

const enrichedC03 = " name=trail_runners advertiser=northwind category=sports"

func TestCountsAndStartsReportsOnTheFirstEvent(t *testing.T) {
	e, _ := start(t, `{"report_interval_ms":"2000"}`)
	before := time.Now().UnixMicro()
	res := e.process(1,
		item{"c03", "imp" + enrichedC03, 1, nil},
		item{"c03", "click" + enrichedC03, 2, nil},
		item{"c03", "imp" + enrichedC03, 3, nil})
	check(t, "produced", res.produced, []string(nil))
	check(t, "writes", res.writes, []string{
		"c03 counts 1 0 1 0", "c03 labels name=trail_runners advertiser=northwind",
		"c03 counts 1 1 1 1", "c03 counts 2 1 2 1"})
	if len(res.timers) != 1 {
		t.Fatalf("timers %q, want one report timer", res.timers)
	}
	fields := strings.Fields(res.timers[0])
	at, _ := strconv.ParseInt(fields[2], 10, 64)
	if fields[0] != "c03" || fields[1] != "report" || fields[3] != "1" || at%2_000_000 != 0 ||
		at <= before || at > before+2_000_000 {
		t.Errorf("timer %q, want c03 report at the next 2 s boundary after %d in processing time", res.timers[0], before)
	}
	e.shutdown()
}

func TestReportsTheWindowAndTotalsThenStartsTheNextWindow(t *testing.T) {
	e, _ := start(t, "{}")
	state := []string{"counts", "2000 100 6000 150", "labels", "name=trail_runners advertiser=northwind"}
	res := e.fireTimers(1, item{"c03", "report", 10_000_000, state})
	check(t, "produced", res.produced, []string{"campaign_stats c03 " +
		"name=trail_runners advertiser=northwind impressions=2000 clicks=100 ctr=5.000% total_ctr=2.500% 10000000"})
	check(t, "writes", res.writes, []string{"c03 counts 0 0 6000 150"})
	check(t, "timers", res.timers, []string{"c03 report 15000000 1"})
	e.shutdown()
}

func TestSkipsMalformedEventsAndFailsOnCorruptState(t *testing.T) {
	e, _ := start(t, "{}")
	res := e.process(1, item{"c01", "view name=x", 1, nil}, item{"c02", "imp", 2, []string{"counts", "1 2"}})
	check(t, "writes", res.writes, []string(nil))
	if len(res.logs) != 1 || !strings.Contains(res.logs[0], "view") {
		t.Errorf("logs %q, want one naming the malformed event", res.logs)
	}
	if len(res.failures) != 1 || !strings.Contains(res.failures[0], "corrupt state") {
		t.Errorf("failures %q, want one naming the corrupt state", res.failures)
	}
	e.shutdown()
}

func TestBadIntervalFailsInit(t *testing.T) {
	_, init := start(t, `{"report_interval_ms":"0"}`)
	if len(init.failures) != 1 || !strings.Contains(init.failures[0], "report_interval_ms") {
		t.Errorf("init failures %q, want one naming report_interval_ms", init.failures)
	}
}

func check(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s\n got %q\nwant %q", what, got, want)
	}
}

func appendVarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func appendBytes(b []byte, s string) []byte { return append(appendVarint(b, uint64(len(s))), s...) }

func appendState(b []byte, state []string) []byte {
	b = appendVarint(b, uint64(len(state)/2))
	for _, s := range state {
		b = appendBytes(b, s)
	}
	return b
}

// reader takes a transaction apart; the SDK's own tests check its encoding.
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

func (r *reader) time() string {
	return strconv.FormatInt(int64(binary.LittleEndian.Uint64(r.fixed(8))), 10)
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
		res.produced = append(res.produced, strings.Join([]string{stream, key, value, r.time()}, " "))
	}
	for n := r.varint(); n > 0; n-- {
		key, name := r.bytes(), r.bytes()
		op, value := r.fixed(1)[0], r.bytes()
		if op != 0 {
			value = "-"
		}
		res.writes = append(res.writes, strings.Join([]string{key, name, value}, " "))
	}
	for n := r.varint(); n > 0; n-- {
		key, tag, at := r.bytes(), r.bytes(), r.time()
		res.timers = append(res.timers, strings.Join([]string{key, tag, at, strconv.Itoa(int(r.fixed(1)[0]))}, " "))
	}
	for n := r.varint(); n > 0; n-- {
		r.fixed(1)
		res.logs = append(res.logs, r.bytes())
	}
	for n := r.varint(); n > 0; n-- {
		r.fixed(8)
		res.failures = append(res.failures, r.bytes())
	}
	return res
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
