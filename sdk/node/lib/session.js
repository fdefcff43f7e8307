'use strict';

// One conversation with an executor (protocol.md 11.2) over an already
// connected stream socket: sdk_hello, then init, process and fire_timers
// requests, each answered by one transaction written in one socket.write,
// until shutdown (goodbye). A Session never exits the process: `serve()`
// resolves with the outcome, and `run()` (index.js) turns it into an exit.
//
// Outcome statuses, which run() uses as exit statuses:
//   0  shutdown received, goodbye sent
//   3  this SDK sent `error`: the executor's input was malformed or
//      unexpected (code 1), or the SDK itself failed (code 3)
//   4  the executor closed the connection unasked, it failed, or it sent
//      `error`

const { ErrorCode, FrameType, INT64_MIN, ProtocolError, frameName } = require('./codec');
const { metadataJson } = require('./computation');
const { Context } = require('./context');
const { FrameAssembler } = require('./frames');
const messages = require('./messages');
const { TransactionBuilder } = require('./transaction');

const SDK_NAME = 'node/1.0.0';

const Status = Object.freeze({ GOODBYE: 0, ERROR_SENT: 3, CONNECTION_LOST: 4 });

// Once the conversation ends, how long closing the socket may take before it
// is destroyed (a peer that stopped reading must not hold the process).
const CLOSE_DEADLINE_MS = 2000;

const INIT = 0;
const RECORD = 1;
const TIMER = 2;

function ignore() {}

function describe(error) {
    if (error instanceof Error) return error.message === '' ? error.name : error.message;
    return String(error);
}

class Session {
    // `computation`: a Computation; `socket`: a connected net.Socket (or any
    // Duplex with its events).
    constructor(computation, socket) {
        this._computation = computation;
        this._socket = socket;
        this._frames = new FrameAssembler();
        this._tx = new TransactionBuilder();
        this._ctx = new Context(this._tx);
        this._streamNames = new messages.StreamNames();
        this._initialized = false;
        this._maxRetries = 0;
        this._outcome = null; // { status, message } once decided
        this._resolve = null;
    }

    // Sends sdk_hello and serves requests; resolves with { status, message }
    // when the socket has closed.
    serve() {
        return new Promise((resolve) => {
            this._resolve = resolve;
            const socket = this._socket;
            socket.on('data', (chunk) => this._onData(chunk));
            socket.on('end', () => this._onEnd());
            socket.on('error', (err) => this._conclude(Status.CONNECTION_LOST, `connection to the executor failed: ${err.message}`));
            socket.on('close', () => this._onClose());
            let hello;
            try {
                hello = messages.encodeHello(SDK_NAME, metadataJson(this._computation));
            } catch (e) {
                this._fail(ErrorCode.INTERNAL, `metadata() of the computation failed: ${describe(e)}`);
                return;
            }
            socket.write(hello);
        });
    }

    _onData(chunk) {
        if (this._outcome !== null) return;
        this._frames.push(chunk);
        try {
            for (;;) {
                const frame = this._frames.next();
                if (frame === null) return;
                this._handle(frame.type, frame.payload);
                if (this._outcome !== null) return;
            }
        } catch (e) {
            if (e instanceof ProtocolError) this._fail(ErrorCode.PROTOCOL_ERROR, e.message);
            else this._fail(ErrorCode.INTERNAL, `the SDK failed: ${e.stack ?? describe(e)}`);
        }
    }

    _handle(type, payload) {
        switch (type) {
            case FrameType.INIT:
                if (this._initialized) throw new ProtocolError('unexpected', 'a second init');
                this._init(messages.decodeInit(payload));
                return;
            case FrameType.PROCESS:
                this._requireInit(type);
                this._process(messages.decodeProcess(payload, this._streamNames));
                return;
            case FrameType.FIRE_TIMERS:
                this._requireInit(type);
                this._fireTimers(messages.decodeFireTimers(payload));
                return;
            case FrameType.SHUTDOWN:
                messages.decodeEmpty(payload, 'shutdown');
                this._conclude(Status.GOODBYE, 'shutdown', messages.encodeGoodbye());
                return;
            case FrameType.ERROR: {
                const { code, message } = messages.decodeError(payload);
                this._conclude(Status.CONNECTION_LOST, `the executor sent error code ${code}: ${message}`);
                return;
            }
            default:
                throw new ProtocolError('unexpected', `${frameName(type)} is sent by an SDK, not by an executor`);
        }
    }

    _requireInit(type) {
        if (!this._initialized) throw new ProtocolError('unexpected', `${frameName(type)} before init`);
    }

    _init(request) {
        this._initialized = true;
        this._maxRetries = request.maxRetries;
        this._ctx._configure(request.index, request.count, request.config);
        this._tx.begin(0);
        this._ctx._beginRequest(INT64_MIN, null); // no input yet: the lowest watermark
        this._invoke(INIT, null, 0);
        this._socket.write(this._tx.finish());
    }

    _process(request) {
        const records = request.records;
        const ctx = this._ctx;
        this._tx.begin(request.batch);
        ctx._beginRequest(request.watermark, request.seeds);
        const traces = request.traces;
        for (let i = 0; i < records.length; i++) {
            const record = records[i];
            ctx._beginCallback(record.key, record.time);
            if (traces !== null) this._tx.setTrace(traces.get(i) ?? null);
            this._invoke(RECORD, record, i);
        }
        this._tx.setTrace(null);
        this._socket.write(this._tx.finish());
    }

    _fireTimers(request) {
        const timers = request.timers;
        const ctx = this._ctx;
        this._tx.begin(request.batch);
        ctx._beginRequest(request.watermark, request.seeds);
        for (let i = 0; i < timers.length; i++) {
            const timer = timers[i];
            ctx._beginCallback(timer.key, timer.time);
            this._invoke(TIMER, timer, i);
        }
        this._socket.write(this._tx.finish());
    }

    // Calls one callback, retrying it up to max_retries times while it
    // throws; every attempt's effects stay (at-most-once, as in C++). A
    // callback that threw at all is reported in the transaction's failures.
    _invoke(kind, input, index) {
        const computation = this._computation;
        const ctx = this._ctx;
        let raised = 0;
        let error = null;
        for (;;) {
            try {
                let result;
                if (kind === RECORD) result = computation.processRecord(ctx, input);
                else if (kind === TIMER) result = computation.processTimer(ctx, input);
                else result = computation.init(ctx);
                if (result != null && typeof result.then === 'function') {
                    result.then(ignore, ignore);
                    throw new TypeError('callbacks must be synchronous, this one returned a Promise');
                }
                break;
            } catch (e) {
                raised++;
                error = e;
                if (raised > this._maxRetries) break;
            }
        }
        if (raised === 0) return;
        this._tx.failure(index, raised, describe(error));
        if (raised > this._maxRetries) {
            const what = kind === INIT ? 'init' : `${kind === RECORD ? 'record' : 'timer'} ${index}`;
            process.stderr.write(`eddy-sdk: ${what} failed ${raised} times: ${error instanceof Error ? error.stack : describe(error)}\n`);
        }
    }

    // Sends `error` and ends the conversation.
    _fail(code, message) {
        const what = code === ErrorCode.PROTOCOL_ERROR ? 'protocol error' : 'internal error';
        this._conclude(Status.ERROR_SENT, `${what}: ${message}`, messages.encodeError(code, message));
    }

    // Decides the outcome (the first decision wins), sends `lastFrame` if
    // any, and closes the socket.
    _conclude(status, message, lastFrame) {
        if (this._outcome !== null) return;
        this._outcome = { status, message };
        const socket = this._socket;
        if (socket.destroyed) {
            this._resolve(this._outcome);
            return;
        }
        // Once our last bytes are flushed there is nothing left to hear.
        const close = () => socket.destroy();
        if (lastFrame) socket.end(lastFrame, close);
        else socket.end(close);
        setTimeout(close, CLOSE_DEADLINE_MS).unref();
    }

    _onEnd() {
        const pending = this._frames.buffered();
        const detail = pending > 0 ? ` (${pending} bytes of an incomplete frame received)` : '';
        this._conclude(Status.CONNECTION_LOST, `the executor closed the connection without shutdown${detail}`);
    }

    _onClose() {
        this._conclude(Status.CONNECTION_LOST, 'the connection to the executor closed without shutdown');
        this._resolve(this._outcome);
    }
}

module.exports = { Session, Status, SDK_NAME };
