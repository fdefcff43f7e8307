package eddy

import (
	"fmt"
	"math"
	"time"
)

// requestContext is the Context of every callback of one conversation. It
// collects one request's effects, already encoded in transaction order
// (section 11.3), and keeps the per-key state views that make a read see the
// earlier writes of the same request. The session resets it per request and
// points it at each record or timer in turn.
type requestContext struct {
	// Set by init, fixed afterwards.
	index, count uint32
	config       map[string]string

	// The request being handled.
	req       *request
	watermark int64

	// The record or timer being handled.
	hasKey bool // false in Init: state calls are errors there
	key    []byte
	time   int64
	// The record's trace context, nil when untraced (and for timers and
	// init): every record produced meanwhile carries it unchanged.
	trace []byte

	// views holds the state of every key a callback of this request touched.
	// A key's view is seeded, on its first state call, from the entries sent
	// with the key's first record or timer (seeds, built on first use).
	views     map[string]map[string][]byte
	seeds     map[string]stateRange
	seedsMade bool
	spare     []map[string][]byte // cleared views, reused by the next request

	// Encoded effects and their counts.
	produced, writes, timers, logs, failures      []byte
	nProduced, nWrites, nTimers, nLogs, nFailures uint64
	// The trace section: (produced index, context) pairs.
	traced  []byte
	nTraced uint64
}

// begin resets the context for a request; req is nil for init.
func (c *requestContext) begin(req *request, watermark int64) {
	c.req, c.watermark = req, watermark
	c.hasKey, c.key, c.time, c.trace = false, nil, 0, nil
	for k, view := range c.views {
		for name := range view {
			delete(view, name)
		}
		c.spare = append(c.spare, view)
		delete(c.views, k)
	}
	for k := range c.seeds {
		delete(c.seeds, k)
	}
	c.seedsMade = false
	c.produced, c.writes, c.timers, c.logs, c.failures = c.produced[:0], c.writes[:0], c.timers[:0], c.logs[:0], c.failures[:0]
	c.nProduced, c.nWrites, c.nTimers, c.nLogs, c.nFailures = 0, 0, 0, 0, 0
	c.traced, c.nTraced = c.traced[:0], 0
}

// at makes key and time the current ones for the next callback.
func (c *requestContext) at(key []byte, time int64) {
	c.hasKey, c.key, c.time = true, key, time
}

// fail records a callback that raised attempts times, last with message.
func (c *requestContext) fail(index uint32, attempts uint32, message string) {
	c.failures = appendU32(c.failures, index)
	c.failures = appendU32(c.failures, attempts)
	c.failures = appendString(c.failures, message)
	c.nFailures++
}

// appendTransaction appends the transaction frame answering batch.
func (c *requestContext) appendTransaction(out []byte, batch uint64) []byte {
	start := len(out)
	out = beginFrame(out, typeTransaction)
	out = appendU64(out, batch)
	out = append(appendVarint(out, c.nProduced), c.produced...)
	out = append(appendVarint(out, c.nWrites), c.writes...)
	out = append(appendVarint(out, c.nTimers), c.timers...)
	out = append(appendVarint(out, c.nLogs), c.logs...)
	out = append(appendVarint(out, c.nFailures), c.failures...)
	out = append(appendVarint(out, c.nTraced), c.traced...)
	return endFrame(out, start)
}

func (c *requestContext) Produce(stream string, key, value []byte) {
	c.ProduceAt(stream, key, value, c.time)
}

func (c *requestContext) ProduceAt(stream string, key, value []byte, time int64) {
	b := appendString(c.produced, stream)
	b = appendBytes(b, key)
	b = appendBytes(b, value)
	c.produced = appendI64(b, time)
	if c.trace != nil {
		c.traced = append(appendVarint(c.traced, c.nProduced), c.trace...)
		c.nTraced++
	}
	c.nProduced++
}

func (c *requestContext) SetTimer(key []byte, time int64, domain TimeDomain, tag string) {
	b := appendBytes(c.timers, key)
	b = appendString(b, tag)
	b = appendI64(b, time)
	c.timers = append(b, byte(domain))
	c.nTimers++
}

// view is the current key's state view, made on first use.
func (c *requestContext) view(call, name string) map[string][]byte {
	if !c.hasKey {
		panic(fmt.Errorf("eddy: %s(%q) in Init: there is no current key, state calls need a record or timer", call, name))
	}
	if view, ok := c.views[string(c.key)]; ok {
		return view
	}
	var view map[string][]byte
	if n := len(c.spare); n > 0 {
		view, c.spare = c.spare[n-1], c.spare[:n-1]
	} else {
		view = map[string][]byte{}
	}
	if seeds, ok := c.seedsOf(c.key); ok {
		for _, e := range c.req.state[seeds.from:seeds.to] {
			view[e.name] = e.value
		}
	}
	if c.views == nil {
		c.views = map[string]map[string][]byte{}
	}
	c.views[string(c.key)] = view
	return view
}

// seedsOf finds the state entries sent with key's first record or timer.
// Later items of the same key carry none (section 11.3), so the index keeps
// the first non-empty range of each key.
func (c *requestContext) seedsOf(key []byte) (stateRange, bool) {
	if c.req == nil {
		return stateRange{}, false
	}
	if !c.seedsMade {
		if c.seeds == nil {
			c.seeds = map[string]stateRange{}
		}
		add := func(key []byte, r stateRange) {
			if r.to > r.from {
				if _, seen := c.seeds[string(key)]; !seen {
					c.seeds[string(key)] = r
				}
			}
		}
		for i := range c.req.records {
			add(c.req.records[i].record.Key, c.req.records[i].state)
		}
		for i := range c.req.timers {
			add(c.req.timers[i].timer.Key, c.req.timers[i].state)
		}
		c.seedsMade = true
	}
	r, ok := c.seeds[string(key)]
	return r, ok
}

func (c *requestContext) Get(name string) ([]byte, bool) {
	v, ok := c.view("Get", name)[name]
	return v, ok
}

func (c *requestContext) Put(name string, value []byte) {
	view := c.view("Put", name)
	b := appendBytes(c.writes, c.key)
	b = appendString(b, name)
	b = append(b, 0)
	b = appendBytes(b, value)
	c.writes = b
	c.nWrites++
	// The view keeps the copy just written; a later growth of c.writes
	// leaves this array, and so the slice, intact.
	view[name] = b[len(b)-len(value) : len(b) : len(b)]
}

func (c *requestContext) Erase(name string) {
	view := c.view("Erase", name)
	b := appendBytes(c.writes, c.key)
	b = appendString(b, name)
	c.writes = append(b, 1, 0)
	c.nWrites++
	delete(view, name)
}

func (c *requestContext) Watermark() int64 {
	if c.req == nil {
		return math.MinInt64
	}
	return c.watermark
}

func (c *requestContext) ProcessingTime() int64 { return time.Now().UnixMicro() }

func (c *requestContext) Config(name string) (string, bool) {
	v, ok := c.config[name]
	return v, ok
}

func (c *requestContext) InstanceIndex() uint32 { return c.index }
func (c *requestContext) InstanceCount() uint32 { return c.count }

func (c *requestContext) Log(level LogLevel, message string) {
	c.logs = appendString(append(c.logs, byte(level)), message)
	c.nLogs++
}
