package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"

	eddy "eddy.local/sdk"
)

// splitter splits each line on the space byte and produces every non-empty
// word as a key with value "1", keeping the line's time. Stateless.
type splitter struct{ eddy.Base }

func (splitter) Metadata() eddy.Metadata {
	return eddy.Metadata{
		Name:    "splitter",
		Inputs:  []eddy.Subscription{{Stream: "lines", By: eddy.Shuffle}},
		Outputs: []string{"words"},
	}
}

var one = []byte("1")

func (splitter) ProcessRecord(ctx eddy.Context, r eddy.Record) error {
	line := r.Value
	for len(line) > 0 {
		end := bytes.IndexByte(line, ' ')
		if end < 0 {
			end = len(line)
		}
		if end > 0 {
			ctx.Produce("words", line[:end], one)
		}
		line = line[min(end+1, len(line)):]
	}
	return nil
}

func min(a, b int) int {
	if a < b {
		return a
	}
	return b
}

// counter keeps each word's count in keyed state and produces the running
// count on every occurrence, so a word's last count is its total.
type counter struct{ eddy.Base }

func (counter) Metadata() eddy.Metadata {
	return eddy.Metadata{
		Name:    "counter",
		Inputs:  []eddy.Subscription{{Stream: "words", By: eddy.GroupByKey}},
		Outputs: []string{"counts"},
	}
}

func (counter) ProcessRecord(ctx eddy.Context, r eddy.Record) error {
	n := int64(0)
	if stored, ok := ctx.Get("count"); ok { // state of r.Key, the word
		var err error
		if n, err = strconv.ParseInt(string(stored), 10, 64); err != nil {
			return fmt.Errorf("state count of %q: %w", r.Key, err)
		}
	}
	n++
	count := []byte(strconv.FormatInt(n, 10))
	ctx.Put("count", count)
	ctx.Produce("counts", r.Key, count)
	return nil
}

// sink appends "KEY VALUE\n" per record to the file named by config "path".
// Each line is written straight to the file (no user-space buffer) before
// ProcessRecord returns, so by the time the executor hears a request was
// processed, a reader of the file sees all its lines.
type sink struct {
	file *os.File
}

func (*sink) Metadata() eddy.Metadata {
	return eddy.Metadata{Name: "sink", Inputs: []eddy.Subscription{{Stream: "counts", By: eddy.Shuffle}}}
}

func (s *sink) Init(ctx eddy.Context) error {
	path, ok := ctx.Config("path")
	if !ok {
		return errors.New("sink: config \"path\" is required: the file to append counts to")
	}
	file, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("sink: %w", err)
	}
	s.file = file
	return nil
}

func (s *sink) ProcessRecord(_ eddy.Context, r eddy.Record) error {
	if s.file == nil {
		return errors.New("sink: no file: init failed")
	}
	line := make([]byte, 0, len(r.Key)+len(r.Value)+2)
	line = append(append(append(append(line, r.Key...), ' '), r.Value...), '\n')
	_, err := s.file.Write(line)
	return err
}

func (*sink) ProcessTimer(eddy.Context, eddy.Timer) error { return nil }
