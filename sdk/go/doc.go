// Package eddy is the Go SDK for eddy computations.
//
// A computation written in Go runs as its own process (the user process)
// beside its executor. This package connects to the executor over the Unix
// socket named by $EDDY_SOCKET, speaks the executor <-> SDK protocol
// (docs/protocol.md, section 11) and turns its requests into callbacks on a
// Computation. A word counter:
//
//	type counter struct{ eddy.Base }
//
//	func (counter) Metadata() eddy.Metadata {
//		return eddy.Metadata{
//			Name:    "counter",
//			Inputs:  []eddy.Subscription{{Stream: "words", By: eddy.GroupByKey}},
//			Outputs: []string{"counts"},
//		}
//	}
//
//	func (counter) ProcessRecord(ctx eddy.Context, r eddy.Record) error {
//		n := int64(0)
//		if v, ok := ctx.Get("count"); ok { // state of r.Key
//			var err error
//			if n, err = strconv.ParseInt(string(v), 10, 64); err != nil {
//				return err
//			}
//		}
//		n++
//		ctx.Put("count", []byte(strconv.FormatInt(n, 10)))
//		ctx.Produce("counts", r.Key, []byte(strconv.FormatInt(n, 10)))
//		return nil
//	}
//
//	func main() { eddy.Run(counter{}) }
//
// Callbacks of one process are never called concurrently. Byte slices the
// SDK hands to a callback (a record's key and value, a timer's key, what Get
// returns) point into the request's frame buffer: they are valid only during
// the callback and must not be modified; copy them to keep them. Byte slices
// a callback passes to the Context are copied before the call returns.
//
// Files: api.go (the types a computation uses), codec.go (bytes on the
// wire), request.go (decoding requests), context.go (one request's effects
// and state views), session.go (the conversation), run.go (the process entry
// point).
package eddy
