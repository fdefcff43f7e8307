package eddy

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Serve holds the conversation of docs/protocol.md section 11.2 with the
// executor on conn, already connected: it sends sdk_hello, answers init,
// process and fire_timers with one transaction each, and returns nil once it
// has answered shutdown with goodbye.
//
// It returns ErrConnectionClosed when the executor closes the connection
// between frames, a *PeerError when the executor sends an error frame, and a
// *ProtocolError or *InternalError after sending the matching error frame.
// It does not close conn. Run is Serve on $EDDY_SOCKET, plus exit statuses.
func Serve(conn io.ReadWriter, c Computation) error {
	s := &session{computation: c, frames: newFrameReader(conn), out: conn}
	err := s.serve()
	var protocolErr *ProtocolError
	var internalErr *InternalError
	switch {
	case errors.As(err, &protocolErr):
		s.sendError(errorCodeProtocol, protocolErr.Message)
	case errors.As(err, &internalErr):
		s.sendError(errorCodeInternal, internalErr.Message)
	}
	return err
}

// session is one conversation; it owns the computation's callbacks.
type session struct {
	computation Computation
	frames      *frameReader
	out         io.Writer
	buf         []byte // the frame being sent, reused

	initialized bool
	maxRetries  uint32
	ctx         requestContext
	req         request
	names       interner
}

func (s *session) serve() error {
	if err := s.sendHello(); err != nil {
		return err
	}
	for {
		frameType, payload, err := s.frames.next()
		if err != nil {
			return err
		}
		switch frameType {
		case typeInit:
			if s.initialized {
				return protocolErrorf("a second init")
			}
			err = s.handleInit(payload)
		case typeProcess, typeFireTimers:
			if !s.initialized {
				return protocolErrorf("%s before init", frameTypeName(frameType))
			}
			err = s.handleBatch(frameType, payload)
		case typeShutdown:
			if len(payload) != 0 {
				return protocolErrorf("shutdown: %d trailing bytes after the message", len(payload))
			}
			return s.send(endFrame(beginFrame(s.buf[:0], typeGoodbye), 0))
		case typeError:
			return decodePeerError(payload)
		default:
			return protocolErrorf("unexpected %s from the executor", frameTypeName(frameType))
		}
		if err != nil {
			return err
		}
	}
}

func (s *session) sendHello() error {
	metadata, err := metadataJSON(s.computation.Metadata())
	if err != nil {
		return &InternalError{Message: fmt.Sprintf("encoding the metadata: %v", err)}
	}
	b := beginFrame(s.buf[:0], typeSDKHello)
	b = appendU16(b, protocolVersion)
	b = appendString(b, sdkName)
	b = appendBytes(b, metadata)
	return s.send(endFrame(b, 0))
}

// sdkName is sent in sdk_hello and shown in the executor's logs.
const sdkName = "go/1.0.0"

func metadataJSON(m Metadata) ([]byte, error) {
	type input struct {
		Stream   string `json:"stream"`
		Grouping string `json:"grouping"`
	}
	doc := struct {
		Name    string   `json:"name"`
		Inputs  []input  `json:"inputs"`
		Outputs []string `json:"outputs"`
	}{Name: m.Name, Inputs: []input{}, Outputs: []string{}}
	for _, in := range m.Inputs {
		doc.Inputs = append(doc.Inputs, input{Stream: in.Stream, Grouping: in.By.String()})
	}
	doc.Outputs = append(doc.Outputs, m.Outputs...)
	return json.Marshal(doc)
}

func (s *session) handleInit(payload []byte) error {
	req, err := decodeInit(payload)
	if err != nil {
		return err
	}
	s.initialized = true
	s.maxRetries = req.maxRetries
	s.ctx.index, s.ctx.count, s.ctx.config = req.index, req.count, req.config
	s.ctx.begin(nil, 0)
	s.retry(0, func() error { return s.computation.Init(&s.ctx) })
	return s.sendTransaction(0)
}

func (s *session) handleBatch(frameType byte, payload []byte) error {
	var err error
	if frameType == typeProcess {
		err = decodeProcess(payload, &s.req, &s.names)
	} else {
		err = decodeFireTimers(payload, &s.req, &s.names)
	}
	if err != nil {
		return err
	}
	s.ctx.begin(&s.req, s.req.watermark)
	for i := range s.req.records {
		s.ctx.trace = s.req.records[i].trace
		s.processRecord(uint32(i), s.req.records[i].record)
	}
	s.ctx.trace = nil
	for i := range s.req.timers {
		s.processTimer(uint32(i), s.req.timers[i].timer)
	}
	return s.sendTransaction(s.req.batch)
}

// processRecord and processTimer are retry without a closure: the data path
// allocates nothing per record.
func (s *session) processRecord(index uint32, r Record) {
	s.ctx.at(r.Key, r.Time)
	err := s.callRecord(r)
	if err == nil {
		return
	}
	s.retryAfter(index, err, func() error { return s.callRecord(r) })
}

func (s *session) processTimer(index uint32, t Timer) {
	s.ctx.at(t.Key, t.Time)
	err := s.callTimer(t)
	if err == nil {
		return
	}
	s.retryAfter(index, err, func() error { return s.callTimer(t) })
}

func (s *session) callRecord(r Record) (err error) {
	defer recoverInto(&err)
	return s.computation.ProcessRecord(&s.ctx, r)
}

func (s *session) callTimer(t Timer) (err error) {
	defer recoverInto(&err)
	return s.computation.ProcessTimer(&s.ctx, t)
}

// retry calls callback until it succeeds or has failed max_retries + 1
// times, and reports it in failures if it failed at all.
func (s *session) retry(index uint32, callback func() error) {
	call := func() (err error) {
		defer recoverInto(&err)
		return callback()
	}
	if err := call(); err != nil {
		s.retryAfter(index, err, call)
	}
}

// retryAfter continues retry after a first failure err. The effects of every
// attempt stay, as in the C++ runtime.
func (s *session) retryAfter(index uint32, err error, call func() error) {
	attempts := uint32(1)
	last := err.Error()
	for attempts <= s.maxRetries {
		err = call()
		if err == nil {
			break
		}
		attempts++
		last = err.Error()
	}
	s.ctx.fail(index, attempts, last)
}

// recoverInto turns a panic of a callback into its error.
func recoverInto(err *error) {
	if p := recover(); p != nil {
		if e, ok := p.(error); ok {
			*err = fmt.Errorf("panic: %w", e)
		} else {
			*err = fmt.Errorf("panic: %v", p)
		}
	}
}

func (s *session) sendTransaction(batch uint64) error {
	s.buf = s.ctx.appendTransaction(s.buf[:0], batch)
	if len(s.buf)-4 > maxFrameLength {
		return &InternalError{Message: fmt.Sprintf("the transaction of batch %d is %d bytes, over the executor's maximum of %d", batch, len(s.buf)-4, maxFrameLength)}
	}
	return s.send(s.buf)
}

// send writes one frame in one write.
func (s *session) send(frame []byte) error {
	s.buf = frame
	if _, err := s.out.Write(frame); err != nil {
		return fmt.Errorf("writing a %s frame: %w", frameTypeName(frame[4]), err)
	}
	return nil
}

// sendError tells the executor why the SDK stops; the conversation is over
// either way, so a failure to send is not reported.
func (s *session) sendError(code uint16, message string) {
	b := beginFrame(s.buf[:0], typeError)
	b = appendU16(b, code)
	b = appendString(b, message)
	_ = s.send(endFrame(b, 0))
}

func decodePeerError(payload []byte) error {
	d := decoder{buf: payload}
	code := d.u16("code")
	message := d.bytes("message")
	if err := d.finish(); err != nil {
		return protocolErrorf("error: %v", err)
	}
	return &PeerError{Code: code, Message: string(message)}
}
