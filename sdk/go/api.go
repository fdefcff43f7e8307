package eddy

// Grouping says how a subscribed stream's records are spread over a
// computation's instances.
type Grouping int

const (
	// GroupByKey sends each key to the one instance owning it; keyed state needs this.
	GroupByKey Grouping = iota
	// Shuffle spreads records round robin over the instances.
	Shuffle
	// Broadcast gives every instance every record.
	Broadcast
)

// String is the name manifests use: "key", "shuffle" or "broadcast".
func (g Grouping) String() string {
	switch g {
	case GroupByKey:
		return "key"
	case Shuffle:
		return "shuffle"
	case Broadcast:
		return "broadcast"
	}
	return "unknown"
}

// Subscription is one input of a computation.
type Subscription struct {
	Stream string
	By     Grouping
}

// Metadata is what a computation is called, reads and writes.
type Metadata struct {
	Name    string         // unique in a topology; [a-zA-Z0-9_.-]+
	Inputs  []Subscription // none: a source, driven by timers
	Outputs []string       // streams this computation may produce to
}

// Record is one record from a subscribed stream. Key and Value point into the
// request's buffer: valid only during the callback, not to be modified.
type Record struct {
	Stream string
	Key    []byte
	Value  []byte
	Time   int64 // event time, µs since the epoch
}

// TimeDomain is the clock a timer follows.
type TimeDomain uint8

const (
	// EventTime timers fire when the input watermark passes their time.
	EventTime TimeDomain = 0
	// ProcessingTime timers fire when the wall clock passes their time.
	ProcessingTime TimeDomain = 1
)

// Timer is a timer that came due. Key scopes the state calls made while
// handling it; it is valid only during the callback.
type Timer struct {
	Key    []byte
	Tag    string
	Time   int64 // the time it was set for, µs
	Domain TimeDomain
}

// LogLevel is the severity of a log line.
type LogLevel uint8

const (
	Debug LogLevel = 0
	Info  LogLevel = 1
	Warn  LogLevel = 2
	Error LogLevel = 3
)

// Context is what a callback can do. It is passed to each callback and valid
// only during it.
type Context interface {
	// Produce sends a record on stream, one of the computation's outputs,
	// with the event time of the record or timer being handled (0 in Init).
	// key and value are copied before Produce returns.
	Produce(stream string, key, value []byte)
	// ProduceAt is Produce with an explicit event time.
	ProduceAt(stream string, key, value []byte, time int64)
	// SetTimer asks for ProcessTimer with key at time. Setting a timer again
	// for the same (key, tag, domain) replaces the earlier one.
	// Processing-time timers use µs since the epoch of the wall clock.
	SetTimer(key []byte, time int64, domain TimeDomain, tag string)

	// Get, Put and Erase act on the state of the current key (the record's or
	// the timer's); a read sees earlier writes of the same request. Get's
	// result is valid only during the callback. In Init there is no current
	// key: these calls panic, which fails Init.
	Get(name string) ([]byte, bool)
	Put(name string, value []byte)
	Erase(name string)

	// Watermark is the instance's input low watermark (math.MinInt64 in Init).
	Watermark() int64
	// ProcessingTime is the wall clock now, µs since the epoch.
	ProcessingTime() int64
	// Config is a configuration value from the manifest, if set.
	Config(name string) (string, bool)
	// InstanceIndex is this instance's index (from 0); InstanceCount how
	// many instances the computation has.
	InstanceIndex() uint32
	InstanceCount() uint32

	// Log writes a line to the instance's log.
	Log(level LogLevel, message string)
}

// Computation is named user logic. A returned error or a panic is a
// callback failure: the SDK retries the callback up to the executor's
// max_retries times and reports it (the effects of every attempt stay).
type Computation interface {
	// Metadata is called once, before Init.
	Metadata() Metadata
	// Init is called once before any record or timer.
	Init(ctx Context) error
	// ProcessRecord handles one record; state calls act on r.Key.
	ProcessRecord(ctx Context, r Record) error
	// ProcessTimer handles a due timer; state calls act on t.Key.
	ProcessTimer(ctx Context, t Timer) error
}

// Base gives a computation no-op Init and ProcessTimer; embed it.
type Base struct{}

// Init does nothing.
func (Base) Init(Context) error { return nil }

// ProcessTimer does nothing.
func (Base) ProcessTimer(Context, Timer) error { return nil }
