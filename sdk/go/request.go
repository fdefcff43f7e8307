package eddy

import (
	"encoding/json"
	"fmt"
)

// The requests the executor sends (init, process, fire_timers), decoded in
// full before any callback runs, so a malformed frame never reaches the
// computation. Keys, values and state point into the frame buffer.

type initRequest struct {
	index, count, maxRetries uint32
	config                   map[string]string
}

func decodeInit(payload []byte) (initRequest, error) {
	d := decoder{buf: payload}
	req := initRequest{index: d.u32("index"), count: d.u32("count"), maxRetries: d.u32("max_retries")}
	config := d.bytes("config")
	if err := d.finish(); err != nil {
		return req, protocolErrorf("init: %v", err)
	}
	req.config = map[string]string{}
	if len(config) > 0 {
		if err := json.Unmarshal(config, &req.config); err != nil {
			return req, protocolErrorf("init: config is not a JSON object of strings: %v", err)
		}
	}
	return req, nil
}

// stateEntry is one stored state value of a key, sent with its first record
// or timer in a request.
type stateEntry struct {
	name  string
	value []byte
}

// stateRange is the entries [from, to) of request.state that came with one
// record or timer.
type stateRange struct{ from, to int32 }

type recordItem struct {
	record Record
	state  stateRange
	trace  []byte // the record's 25-byte trace context, nil when untraced
}

type timerItem struct {
	timer Timer
	state stateRange
}

// request is one process or fire_timers frame. Its slices are reused from
// one request to the next.
type request struct {
	batch     uint64
	watermark int64
	records   []recordItem
	timers    []timerItem
	state     []stateEntry
}

func (req *request) reset() {
	req.records = req.records[:0]
	req.timers = req.timers[:0]
	req.state = req.state[:0]
}

// decodeProcess fills req from a process payload. Stream names and state
// names go through names, so a request allocates no strings for names it
// has seen before.
func decodeProcess(payload []byte, req *request, names *interner) error {
	req.reset()
	d := decoder{buf: payload}
	req.batch = d.u64("batch")
	req.watermark = d.i64("watermark")
	n := d.varint("record count")
	if d.err == nil && n > uint64(len(payload)) {
		return protocolErrorf("process: %d records cannot fit in %d bytes", n, len(payload))
	}
	for i := uint64(0); i < n && d.err == nil; i++ {
		var item recordItem
		item.record.Stream = names.get(d.bytes("stream"))
		item.record.Key = d.bytes("key")
		item.record.Value = d.bytes("value")
		item.record.Time = d.i64("time")
		item.state = decodeState(&d, req, names)
		if d.err != nil {
			return protocolErrorf("process: record %d: %v", i, d.err)
		}
		req.records = append(req.records, item)
	}
	if d.err == nil {
		if err := decodeTraces(&d, req.records); err != nil {
			return err
		}
	}
	if err := d.finish(); err != nil {
		return protocolErrorf("process: %v", err)
	}
	return nil
}

// decodeTraces reads the trace section closing a process payload: a count,
// then (index, context) pairs with indices increasing and below the number
// of records. The contexts point into the payload.
func decodeTraces(d *decoder, records []recordItem) error {
	n := d.varint("traced count")
	if d.err == nil && n > uint64(len(d.buf)-d.pos)/(1+traceContextBytes) {
		return protocolErrorf("process: %d traced records cannot fit in the %d bytes left", n, len(d.buf)-d.pos)
	}
	next := uint64(0)
	for i := uint64(0); i < n && d.err == nil; i++ {
		index := d.varint("traced index")
		if d.err == nil && (index < next || index >= uint64(len(records))) {
			return protocolErrorf("process: traced index %d is not after the previous one and below the %d records", index, len(records))
		}
		trace := d.fixed("trace context", traceContextBytes)
		if d.err == nil {
			records[index].trace = trace[:traceContextBytes:traceContextBytes]
		}
		next = index + 1
	}
	return nil
}

func decodeFireTimers(payload []byte, req *request, names *interner) error {
	req.reset()
	d := decoder{buf: payload}
	req.batch = d.u64("batch")
	req.watermark = d.i64("watermark")
	n := d.varint("timer count")
	if d.err == nil && n > uint64(len(payload)) {
		return protocolErrorf("fire_timers: %d timers cannot fit in %d bytes", n, len(payload))
	}
	for i := uint64(0); i < n && d.err == nil; i++ {
		var item timerItem
		item.timer.Key = d.bytes("key")
		item.timer.Tag = names.get(d.bytes("tag"))
		item.timer.Time = d.i64("time")
		domain := d.u8("domain")
		if d.err == nil && domain > uint8(ProcessingTime) {
			return protocolErrorf("fire_timers: timer %d: domain %d is neither 0 (event time) nor 1 (processing time)", i, domain)
		}
		item.timer.Domain = TimeDomain(domain)
		item.state = decodeState(&d, req, names)
		if d.err != nil {
			return protocolErrorf("fire_timers: timer %d: %v", i, d.err)
		}
		req.timers = append(req.timers, item)
	}
	if err := d.finish(); err != nil {
		return protocolErrorf("fire_timers: %v", err)
	}
	return nil
}

func decodeState(d *decoder, req *request, names *interner) stateRange {
	m := d.varint("state count")
	from := int32(len(req.state))
	if d.err == nil && m > uint64(len(d.buf)-d.pos) {
		d.fail("state count", fmt.Errorf("%d entries cannot fit in %d bytes", m, len(d.buf)-d.pos))
	}
	for j := uint64(0); j < m && d.err == nil; j++ {
		name := names.get(d.bytes("state name"))
		value := d.bytes("state value")
		req.state = append(req.state, stateEntry{name: name, value: value})
	}
	return stateRange{from: from, to: int32(len(req.state))}
}

// interner turns the few distinct names of a conversation (streams, timer
// tags, state names) into strings once. It stops remembering past a bound,
// so a stream of ever-new tags costs an allocation each, not unbounded memory.
type interner struct {
	known map[string]string
}

const internerCapacity = 4096

func (in *interner) get(b []byte) string {
	if s, ok := in.known[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(in.known) < internerCapacity {
		if in.known == nil {
			in.known = map[string]string{}
		}
		in.known[s] = s
	}
	return s
}
