package eddy

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
)

// child is a user process (this test binary running tester) connected to a
// fake executor: the test.
type child struct {
	*peer
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
	listener.SetDeadline(time.Now().Add(ioDeadline))
	conn, err := listener.Accept()
	if err != nil {
		t.Fatalf("the child did not connect: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	c.peer = &peer{t: t, conn: conn}
	return c
}

// exitCode waits for the child to exit and returns its status.
func (c *child) exitCode() int {
	c.t.Helper()
	select {
	case <-c.exited:
		return c.cmd.ProcessState.ExitCode()
	case <-time.After(ioDeadline):
		c.t.Fatal("the child did not exit")
		return -1
	}
}

// handshake reads the hello and sends init.
func (c *child) handshake(maxRetries uint32, config string) transaction {
	c.t.Helper()
	c.expect(typeSDKHello)
	c.send(typeInit, initPayload(1, 3, maxRetries, config))
	return decodeTransaction(c.t, c.expect(typeTransaction))
}

func (c *child) request(frameType byte, payload []byte) transaction {
	c.t.Helper()
	c.send(frameType, payload)
	return decodeTransaction(c.t, c.expect(typeTransaction))
}

func checkEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s\n got %+v\nwant %+v", what, got, want)
	}
}

func TestConversation(t *testing.T) {
	c := startChild(t)

	hello := c.expect(typeSDKHello)
	d := decoder{buf: hello}
	version, sdk, metadata := d.u16("version"), string(d.bytes("sdk")), string(d.bytes("metadata"))
	if err := d.finish(); err != nil {
		t.Fatalf("hello: %v", err)
	}
	checkEqual(t, "hello", []any{version, sdk, metadata}, []any{uint16(1), "go/1.0.0",
		`{"name":"tester","inputs":[{"stream":"in","grouping":"key"},{"stream":"ctl","grouping":"broadcast"}],"outputs":["out"]}`})

	c.send(typeInit, initPayload(1, 3, 2, `{"greeting":"hello","start_timer":"1"}`))
	tx := decodeTransaction(t, c.expect(typeTransaction))
	checkEqual(t, "init", tx, transaction{
		batch:    0,
		produced: []outRecord{{"out", "init", "hi", 0}},
		timers:   []outTimer{{"k0", "start", 77, ProcessingTime}},
		logs:     []outLog{{Info, "init 1/3 greeting=hello"}},
	})

	// State seeded by the first record of a key, read back within the request.
	tx = c.request(typeProcess, processPayload(1, 100,
		inRecord{"in", "a", "count", 10, []string{"n", "5", "other", "x"}},
		inRecord{"in", "a", "count", 11, nil},
		inRecord{"in", "b", "count", 12, nil},
		inRecord{"in", "a", "at", 13, nil},
		inRecord{"in", "a", "timer", 20, nil},
		inRecord{"in", "a", "erase", 21, nil},
		inRecord{"ctl", "a", "env", 22, nil},
	))
	checkEqual(t, "process 1", tx, transaction{
		batch: 1,
		produced: []outRecord{
			{"out", "a", "6", 10}, {"out", "a", "7", 11}, {"out", "b", "1", 12},
			{"out", "a", "at", 1234}, {"out", "a", "erased, found=false", 21}, {"out", "a", "100 1 3", 22},
		},
		writes: []outWrite{{"a", "n", 0, "6"}, {"a", "n", 0, "7"}, {"b", "n", 0, "1"}, {"a", "n", 1, ""}},
		timers: []outTimer{{"a", "t", 30, EventTime}},
	})

	// The next request starts from the state it carries, not the SDK's last view.
	tx = c.request(typeProcess, processPayload(2, 200,
		inRecord{"in", "b", "count", 30, nil},
		inRecord{"in", "a", "count", 31, []string{"n", "40"}},
	))
	checkEqual(t, "process 2 produced", tx.produced, []outRecord{{"out", "b", "1", 30}, {"out", "a", "41", 31}})

	// Timers see their key's state; produce inherits the timer's time.
	tx = c.request(typeFireTimers, fireTimersPayload(3, 300,
		inTimer{"a", "t", 30, EventTime, []string{"n", "9"}},
		inTimer{"a", "t2", 31, ProcessingTime, nil},
		inTimer{"z", "t", 32, EventTime, nil},
	))
	checkEqual(t, "fire_timers", tx, transaction{
		batch: 3,
		produced: []outRecord{
			{"out", "a", "fired t domain=0 n=9", 30}, {"out", "a", "fired t2 domain=1 n=9", 31},
			{"out", "z", "fired t domain=0 n=", 32},
		},
	})

	// Failures: retried up to max_retries (2), effects of every attempt kept.
	tx = c.request(typeProcess, processPayload(4, 400,
		inRecord{"in", "a", "fail2", 1, nil},
		inRecord{"in", "a", "panic", 2, nil},
		inRecord{"in", "a", "log", 3, nil},
		inRecord{"in", "a", "error", 4, nil},
	))
	checkEqual(t, "failures", tx, transaction{
		batch:    4,
		produced: []outRecord{{"out", "a", "ok", 1}},
		logs:     []outLog{{Debug, "attempt 1"}, {Debug, "attempt 2"}, {Warn, "warned a"}},
		failures: []outFailure{{0, 2, "fail attempt 2"}, {1, 3, "panic: kaboom"}, {3, 3, "always"}},
	})

	c.send(typeShutdown, nil)
	c.expect(typeGoodbye)
	c.expectClosed()
	if code := c.exitCode(); code != 0 {
		t.Errorf("exit status %d after shutdown, want 0; stderr: %s", code, c.stderr.String())
	}
}

func TestStateInInitFailsInit(t *testing.T) {
	c := startChild(t)
	tx := c.handshake(1, `{"state_in_init":"1"}`)
	if len(tx.failures) != 1 || tx.failures[0].index != 0 || tx.failures[0].attempts != 2 ||
		!strings.Contains(tx.failures[0].message, "no current key") {
		t.Errorf("init failures %+v, want one at index 0 with 2 attempts naming the missing key", tx.failures)
	}
	c.send(typeShutdown, nil)
	c.expect(typeGoodbye)
	if code := c.exitCode(); code != 0 {
		t.Errorf("exit status %d, want 0", code)
	}
}

// Each violation makes the SDK send error protocol_error naming it, close
// the connection and exit with status 3.
func TestProtocolViolations(t *testing.T) {
	initFrame := endFrame(append(beginFrame(nil, typeInit), initPayload(0, 1, 0, "{}")...), 0)
	frame := func(frameType byte, payload []byte) []byte {
		return endFrame(append(beginFrame(nil, frameType), payload...), 0)
	}
	cases := []struct {
		name    string
		init    bool // send init first and read its transaction
		bytes   []byte
		message string
	}{
		{"garbage", true, []byte("\x05\x00\x00\x00garbage"), "unknown frame type 0x67"},
		{"unknown type", true, frame(0x02, nil), "unknown frame type 0x02"},
		{"reserved type", true, frame(0x80, nil), "unknown frame type 0x80"},
		{"truncated payload", true, frame(typeProcess, processPayload(1, 0, inRecord{"in", "k", "v", 0, nil})[:25]), "truncated"},
		{"process before init", false, frame(typeProcess, processPayload(1, 0)), "process before init"},
		{"fire_timers before init", false, frame(typeFireTimers, fireTimersPayload(1, 0)), "fire_timers before init"},
		{"second init", true, initFrame, "a second init"},
		{"oversized length", true, []byte{0x01, 0x00, 0x00, 0x04, typeProcess}, "exceeds the maximum"},
		{"zero length", true, []byte{0, 0, 0, 0}, "frame length 0"},
		{"trailing bytes", true, frame(typeProcess, append(processPayload(1, 0), 0x00)), "1 trailing bytes"},
		{"trailing bytes in shutdown", true, frame(typeShutdown, []byte{1}), "trailing bytes"},
		{"overlong varint", true, frame(typeProcess, append(processPayload(1, 0)[:16], 0x80, 0x00)), "bad varint"},
		{"bad timer domain", true, frame(typeFireTimers, fireTimersPayload(1, 0, inTimer{"k", "t", 0, 7, nil})), "domain 7"},
		{"a frame the SDK sends", true, frame(typeTransaction, nil), "unexpected transaction"},
		{"bad config", false, frame(typeInit, initPayload(0, 1, 0, `{"n":1}`)), "config is not a JSON object of strings"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := startChild(t)
			if tc.init {
				c.handshake(0, "{}")
			} else {
				c.expect(typeSDKHello)
			}
			c.sendRaw(tc.bytes)
			d := decoder{buf: c.expect(typeError)}
			code, message := d.u16("code"), string(d.bytes("message"))
			if err := d.finish(); err != nil {
				t.Fatalf("error frame: %v", err)
			}
			if code != errorCodeProtocol || !strings.Contains(message, tc.message) {
				t.Errorf("error %d %q, want code 1 naming %q", code, message, tc.message)
			}
			c.expectClosed()
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
	c.conn.Close()
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
