package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	eddy "eddy.local/sdk"
	"eddy.local/sdk/eddytest"
)

// start serves c as instance 0 of 1 with the configuration config.
func start(t *testing.T, c eddy.Computation, config string) (*eddytest.Conversation, eddytest.Transaction) {
	return eddytest.Start(t, c, eddytest.Init{Count: 1, Config: config})
}

func check(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s\n got %+v\nwant %+v", what, got, want)
	}
}

func TestSplitter(t *testing.T) {
	e, _ := start(t, splitter{}, "{}")
	tx := e.Process(1, 0,
		eddytest.Record{Stream: "lines", Value: "the river  the\tsea ", Time: 7},
		eddytest.Record{Stream: "lines", Key: "k", Value: "  ", Time: 8})
	check(t, "words", tx.Produced, []eddytest.Output{
		{Stream: "words", Key: "the", Value: "1", Time: 7},
		{Stream: "words", Key: "river", Value: "1", Time: 7},
		{Stream: "words", Key: "the\tsea", Value: "1", Time: 7}})
	e.Shutdown()
}

func TestCounter(t *testing.T) {
	e, _ := start(t, counter{}, "{}")
	tx := e.Process(1, 0,
		eddytest.Record{Stream: "words", Key: "the", Value: "1", Time: 1, State: []string{"count", "41"}},
		eddytest.Record{Stream: "words", Key: "sea", Value: "1", Time: 2},
		eddytest.Record{Stream: "words", Key: "the", Value: "1", Time: 3})
	check(t, "counts", tx.Produced, []eddytest.Output{
		{Stream: "counts", Key: "the", Value: "42", Time: 1},
		{Stream: "counts", Key: "sea", Value: "1", Time: 2},
		{Stream: "counts", Key: "the", Value: "43", Time: 3}})
	e.Shutdown()
}

func TestSink(t *testing.T) {
	path := filepath.Join(t.TempDir(), "counts.txt")
	e, init := start(t, &sink{}, `{"path":"`+path+`"}`)
	check(t, "init failures", init.Failures, []eddytest.Failure(nil))
	e.Process(1, 0,
		eddytest.Record{Stream: "counts", Key: "the", Value: "1", Time: 1},
		eddytest.Record{Stream: "counts", Key: "sea", Value: "2", Time: 2})
	// The transaction is back: the lines must already be in the file.
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	check(t, "file", string(got), "the 1\nsea 2\n")
	e.Shutdown()
}

func TestSinkWithoutPathFailsInit(t *testing.T) {
	e, init := start(t, &sink{}, "{}")
	if len(init.Failures) != 1 || !strings.Contains(init.Failures[0].Message, `config "path" is required`) {
		t.Errorf("init failures %+v, want one naming the missing path", init.Failures)
	}
	e.Shutdown()
}
