// Command wordcount runs one computation of the word-count example
// (examples/wordcount) on the Go SDK; its first argument names which:
//
//	wordcount splitter   lines  (shuffle) -> words: one record per word, value "1"
//	wordcount counter    words  (key)     -> counts: the word's running count
//	wordcount sink       counts (shuffle) -> the file of config "path", one "KEY VALUE" line per record
//
// It produces exactly what the C++ word count produces.
package main

import (
	"fmt"
	"os"

	eddy "eddy.local/sdk"
)

func main() {
	roles := map[string]eddy.Computation{
		"splitter": splitter{},
		"counter":  counter{},
		"sink":     &sink{},
	}
	if len(os.Args) != 2 || roles[os.Args[1]] == nil {
		fmt.Fprintln(os.Stderr, "usage: wordcount splitter|counter|sink (run by an eddy executor)")
		os.Exit(2)
	}
	eddy.Run(roles[os.Args[1]])
}
