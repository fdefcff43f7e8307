'use strict';

// eddy's Node.js SDK: write a computation as a class, hand it to run().
//
//     const eddy = require('eddy-sdk');
//
//     // Counts words: one count per word, kept in keyed state.
//     class Counter extends eddy.Computation {
//         metadata() {
//             return { name: 'counter', inputs: [{ stream: 'words', grouping: 'key' }], outputs: ['counts'] };
//         }
//         processRecord(ctx, record) {
//             const count = ctx.get('count'); // state of the current key (the word)
//             const n = (count === undefined ? 0 : Number(count.toString())) + 1;
//             ctx.put('count', String(n));
//             ctx.produce('counts', record.key, String(n));
//         }
//     }
//     eddy.run(new Counter());
//
// run() connects to $EDDY_SOCKET, serves the executor until it says shutdown
// and exits the process (statuses in session.js; 2 when EDDY_SOCKET is
// unset or cannot be connected to).

const net = require('node:net');

const { INT64_MAX, INT64_MIN } = require('./codec');
const { Computation, Grouping, LogLevel, Record, TimeDomain, Timer } = require('./computation');
const { SDK_NAME, Session, Status } = require('./session');

const EXIT_NO_EXECUTOR = 2;

function exitWith(status, message) {
    if (status !== 0) process.stderr.write(`eddy-sdk: ${message}\n`);
    process.exitCode = status;
    // Exit once stderr has drained; anything still pending (a user's timer,
    // an open file) must not keep a finished instance alive.
    process.stderr.write('', () => process.exit(status));
}

// Serves `computation` to the executor at $EDDY_SOCKET and exits the process
// when the conversation ends. Returns nothing: the process belongs to the SDK
// from here on.
function run(computation) {
    const path = process.env.EDDY_SOCKET;
    if (!path) {
        exitWith(EXIT_NO_EXECUTOR, 'EDDY_SOCKET is not set: this program is started by an eddy executor (or by hand with attach: true and EDDY_SOCKET set)');
        return;
    }
    const socket = net.createConnection(path);
    socket.once('error', (err) => exitWith(EXIT_NO_EXECUTOR, `cannot connect to EDDY_SOCKET ${path}: ${err.message}`));
    socket.once('connect', () => {
        socket.removeAllListeners('error');
        serve(computation, socket).then(({ status, message }) => exitWith(status, message));
    });
}

// Serves `computation` over an already connected socket; resolves with
// { status, message } (see session.js) without exiting. For tests and for
// programs that manage their own connection.
function serve(computation, socket) {
    return new Session(computation, socket).serve();
}

module.exports = {
    Computation,
    Record,
    Timer,
    Grouping,
    TimeDomain,
    LogLevel,
    INT64_MIN,
    INT64_MAX,
    SDK_NAME,
    Status,
    run,
    serve,
};
