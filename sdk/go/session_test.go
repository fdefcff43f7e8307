package eddy_test

import (
	"bytes"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	eddy "eddy.local/sdk"
	"eddy.local/sdk/eddytest"
)

// child is a user process (this test binary running tester) connected to a
// fake executor: the test.
type child struct {
	*eddytest.Executor
	t      *testing.T
	cmd    *exec.Cmd
	stderr bytes.Buffer
	exited chan struct{}
}

// startChild listens on a Unix socket in a temporary directory, starts the
// child with the executor's variables and accepts its connection.
func startChild(t *testing.T) *child {
	t.Helper()
	socket := filepath.Join(t.TempDir(), "sdk.sock")
	listener, err := net.ListenUnix("unix", &net.UnixAddr{Name: socket, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close()
	c := &child{exited: make(chan struct{})}
	c.cmd = exec.Command(os.Args[0], "-test.run=^$")
	c.cmd.Env = append(os.Environ(), "EDDY_SDK_TEST_CHILD=1", "EDDY_SOCKET="+socket,
		"EDDY_COMPUTATION=tester", "EDDY_INSTANCE_INDEX=1", "EDDY_INSTANCE_COUNT=3")
	c.cmd.Stderr = &c.stderr
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { c.cmd.Wait(); close(c.exited) }()
	t.Cleanup(func() {
		c.cmd.Process.Kill()
		<-c.exited
	})
	listener.SetDeadline(time.Now().Add(eddytest.Deadline))
	conn, err := listener.Accept()
	if err != nil {
		t.Fatalf("the child did not connect: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	c.Executor = eddytest.NewExecutor(t, conn)
	c.t = t
	return c
}

// exitCode waits for the child to exit and returns its status.
func (c *child) exitCode() int {
	c.t.Helper()
	select {
	case <-c.exited:
		return c.cmd.ProcessState.ExitCode()
	case <-time.After(eddytest.Deadline):
		c.t.Fatal("the child did not exit")
		return -1
	}
}

// handshake reads the hello and sends init.
func (c *child) handshake(maxRetries uint32, config string) eddytest.Transaction {
	c.t.Helper()
	c.ReadHello()
	return c.Init(eddytest.Init{Index: 1, Count: 3, MaxRetries: maxRetries, Config: config})
}

// Shorthands for the items of requests and transactions.

func record(stream, key, value string, time int64, state ...string) eddytest.Record {
	return eddytest.Record{Stream: stream, Key: key, Value: value, Time: time, State: state}
}

func timer(key, tag string, time int64, domain eddy.TimeDomain, state ...string) eddytest.Timer {
	return eddytest.Timer{Key: key, Tag: tag, Time: time, Domain: domain, State: state}
}

func output(stream, key, value string, time int64) eddytest.Output {
	return eddytest.Output{Stream: stream, Key: key, Value: value, Time: time}
}

func write(key, name string, op eddytest.WriteOp, value string) eddytest.Write {
	return eddytest.Write{Key: key, Name: name, Op: op, Value: value}
}

func timerSet(key, tag string, time int64, domain eddy.TimeDomain) eddytest.TimerSet {
	return eddytest.TimerSet{Key: key, Tag: tag, Time: time, Domain: domain}
}

func logLine(level eddy.LogLevel, text string) eddytest.Log {
	return eddytest.Log{Level: level, Text: text}
}

func failure(index, attempts uint32, message string) eddytest.Failure {
	return eddytest.Failure{Index: index, Attempts: attempts, Message: message}
}

func checkEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s\n got %+v\nwant %+v", what, got, want)
	}
}

func TestConversation(t *testing.T) {
	c := startChild(t)

	checkEqual(t, "hello", c.ReadHello(), eddytest.Hello{Version: 2, SDK: "go/1.0.0",
		Metadata: `{"name":"tester","inputs":[{"stream":"in","grouping":"key"},{"stream":"ctl","grouping":"broadcast"}],"outputs":["out"]}`})

	tx := c.Init(eddytest.Init{Index: 1, Count: 3, MaxRetries: 2, Config: `{"greeting":"hello","start_timer":"1"}`})
	checkEqual(t, "init", tx, eddytest.Transaction{
		Batch:    0,
		Produced: []eddytest.Output{output("out", "init", "hi", 0)},
		Timers:   []eddytest.TimerSet{timerSet("k0", "start", 77, eddy.ProcessingTime)},
		Logs:     []eddytest.Log{logLine(eddy.Info, "init 1/3 greeting=hello")},
	})

	// State seeded by the first record of a key, read back within the request.
	tx = c.Process(1, 100,
		record("in", "a", "count", 10, "n", "5", "other", "x"),
		record("in", "a", "count", 11),
		record("in", "b", "count", 12),
		record("in", "a", "at", 13),
		record("in", "a", "timer", 20),
		record("in", "a", "erase", 21),
		record("ctl", "a", "env", 22),
	)
	checkEqual(t, "process 1", tx, eddytest.Transaction{
		Batch: 1,
		Produced: []eddytest.Output{
			output("out", "a", "6", 10), output("out", "a", "7", 11), output("out", "b", "1", 12),
			output("out", "a", "at", 1234), output("out", "a", "erased, found=false", 21), output("out", "a", "100 1 3", 22),
		},
		Writes: []eddytest.Write{
			write("a", "n", eddytest.Put, "6"), write("a", "n", eddytest.Put, "7"),
			write("b", "n", eddytest.Put, "1"), write("a", "n", eddytest.Erase, ""),
		},
		Timers: []eddytest.TimerSet{timerSet("a", "t", 30, eddy.EventTime)},
	})

	// The next request starts from the state it carries, not the SDK's last view.
	tx = c.Process(2, 200,
		record("in", "b", "count", 30),
		record("in", "a", "count", 31, "n", "40"),
	)
	checkEqual(t, "process 2 produced", tx.Produced, []eddytest.Output{output("out", "b", "1", 30), output("out", "a", "41", 31)})

	// Timers see their key's state; produce inherits the timer's time.
	tx = c.FireTimers(3, 300,
		timer("a", "t", 30, eddy.EventTime, "n", "9"),
		timer("a", "t2", 31, eddy.ProcessingTime),
		timer("z", "t", 32, eddy.EventTime),
	)
	checkEqual(t, "fire_timers", tx, eddytest.Transaction{
		Batch: 3,
		Produced: []eddytest.Output{
			output("out", "a", "fired t domain=0 n=9", 30), output("out", "a", "fired t2 domain=1 n=9", 31),
			output("out", "z", "fired t domain=0 n=", 32),
		},
	})

	// Failures: retried up to max_retries (2), effects of every attempt kept.
	tx = c.Process(4, 400,
		record("in", "a", "fail2", 1),
		record("in", "a", "panic", 2),
		record("in", "a", "log", 3),
		record("in", "a", "error", 4),
	)
	checkEqual(t, "failures", tx, eddytest.Transaction{
		Batch:    4,
		Produced: []eddytest.Output{output("out", "a", "ok", 1)},
		Logs:     []eddytest.Log{logLine(eddy.Debug, "attempt 1"), logLine(eddy.Debug, "attempt 2"), logLine(eddy.Warn, "warned a")},
		Failures: []eddytest.Failure{failure(0, 2, "fail attempt 2"), failure(1, 3, "panic: kaboom"), failure(3, 3, "always")},
	})

	c.Shutdown()
	c.ExpectClosed()
	if code := c.exitCode(); code != 0 {
		t.Errorf("exit status %d after shutdown, want 0; stderr: %s", code, c.stderr.String())
	}
}

// A traced record's outputs carry its context unchanged, through retries;
// untraced records' and timers' outputs carry none.
func TestTraceContextsFollowTheirInput(t *testing.T) {
	c := startChild(t)
	c.handshake(2, `{}`)
	first := string(bytes.Repeat([]byte{0x4b}, eddytest.TraceContextBytes))
	second := string(bytes.Repeat([]byte{0x01}, eddytest.TraceContextBytes))
	traced := func(r eddytest.Record, trace string) eddytest.Record { r.Trace = trace; return r }
	tx := c.Process(1, 0,
		traced(record("in", "a", "count", 1), first),
		record("in", "b", "count", 2),
		traced(record("in", "c", "fail2", 3), second),
		traced(record("in", "a", "timer", 20), first),
	)
	withTrace := func(o eddytest.Output, trace string) eddytest.Output { o.Trace = trace; return o }
	checkEqual(t, "traced outputs", tx.Produced, []eddytest.Output{
		withTrace(output("out", "a", "1", 1), first), output("out", "b", "1", 2),
		withTrace(output("out", "c", "ok", 3), second),
	})
	tx = c.FireTimers(2, 100, timer("a", "t", 30, eddy.EventTime))
	checkEqual(t, "timer outputs", tx.Produced, []eddytest.Output{output("out", "a", "fired t domain=0 n=", 30)})
	tx = c.Process(3, 100, record("in", "d", "count", 4))
	checkEqual(t, "next request", tx.Produced, []eddytest.Output{output("out", "d", "1", 4)})
	c.Shutdown()
}

func TestStateInInitFailsInit(t *testing.T) {
	c := startChild(t)
	tx := c.handshake(1, `{"state_in_init":"1"}`)
	if len(tx.Failures) != 1 || tx.Failures[0].Index != 0 || tx.Failures[0].Attempts != 2 ||
		!strings.Contains(tx.Failures[0].Message, "no current key") {
		t.Errorf("init failures %+v, want one at index 0 with 2 attempts naming the missing key", tx.Failures)
	}
	c.Shutdown()
	if code := c.exitCode(); code != 0 {
		t.Errorf("exit status %d, want 0", code)
	}
}

// Each violation makes the SDK send error protocol_error naming it, close
// the connection and exit with status 3.
func TestProtocolViolations(t *testing.T) {
	frame := eddytest.Frame
	initFrame := frame(eddytest.FrameInit, eddytest.InitPayload(eddytest.Init{Count: 1, Config: "{}"}))
	processPayload, fireTimersPayload := eddytest.ProcessPayload, eddytest.FireTimersPayload
	cases := []struct {
		name    string
		init    bool // send init first and read its transaction
		bytes   []byte
		message string
	}{
		{"garbage", true, []byte("\x05\x00\x00\x00garbage"), "unknown frame type 0x67"},
		{"unknown type", true, frame(0x02, nil), "unknown frame type 0x02"},
		{"reserved type", true, frame(0x80, nil), "unknown frame type 0x80"},
		{"truncated payload", true, frame(eddytest.FrameProcess, processPayload(1, 0, record("in", "k", "v", 0))[:25]), "truncated"},
		{"process before init", false, frame(eddytest.FrameProcess, processPayload(1, 0)), "process before init"},
		{"fire_timers before init", false, frame(eddytest.FrameFireTimers, fireTimersPayload(1, 0)), "fire_timers before init"},
		{"second init", true, initFrame, "a second init"},
		{"oversized length", true, []byte{0x01, 0x00, 0x00, 0x04, eddytest.FrameProcess}, "exceeds the maximum"},
		{"zero length", true, []byte{0, 0, 0, 0}, "frame length 0"},
		{"trailing bytes", true, frame(eddytest.FrameProcess, append(processPayload(1, 0), 0x00)), "1 trailing bytes"},
		{"trailing bytes in shutdown", true, frame(eddytest.FrameShutdown, []byte{1}), "trailing bytes"},
		{"overlong varint", true, frame(eddytest.FrameProcess, append(processPayload(1, 0)[:16], 0x80, 0x00)), "bad varint"},
		{"bad timer domain", true, frame(eddytest.FrameFireTimers, fireTimersPayload(1, 0, timer("k", "t", 0, 7))), "domain 7"},
		{"a frame the SDK sends", true, frame(eddytest.FrameTransaction, nil), "unexpected transaction"},
		{"bad config", false, frame(eddytest.FrameInit, eddytest.InitPayload(eddytest.Init{Count: 1, Config: `{"n":1}`})), "config is not a JSON object of strings"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := startChild(t)
			if tc.init {
				c.handshake(0, "{}")
			} else {
				c.ReadHello()
			}
			c.SendRaw(tc.bytes)
			e := c.ReadError()
			if e.Code != eddytest.ErrorProtocol || !strings.Contains(e.Message, tc.message) {
				t.Errorf("error %d %q, want code 1 naming %q", e.Code, e.Message, tc.message)
			}
			c.ExpectClosed()
			if code := c.exitCode(); code != 3 {
				t.Errorf("exit status %d, want 3", code)
			}
			if lines := strings.Split(strings.TrimSpace(c.stderr.String()), "\n"); len(lines) != 1 || !strings.Contains(lines[0], tc.message) {
				t.Errorf("stderr %q, want one line naming %q", c.stderr.String(), tc.message)
			}
		})
	}
}

func TestExecutorClosesWithoutShutdown(t *testing.T) {
	c := startChild(t)
	c.handshake(0, "{}")
	c.Conn().Close()
	if code := c.exitCode(); code == 0 {
		t.Errorf("exit status 0 after the executor went away, want non-zero")
	}
	if !strings.Contains(c.stderr.String(), "without shutdown") {
		t.Errorf("stderr %q does not say the connection closed without shutdown", c.stderr.String())
	}
}

func TestNoSocketVariable(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "EDDY_SDK_TEST_CHILD=1", "EDDY_SOCKET=")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Fatalf("ran with %v, want exit status 2", err)
	}
	if !strings.Contains(stderr.String(), "EDDY_SOCKET is not set") {
		t.Errorf("stderr %q does not name EDDY_SOCKET", stderr.String())
	}
}
