'use strict';

// The word counter of README.md and protocol.md 11.5, for the tests that
// replay the worked example's bytes through a real process.

const eddy = require('../lib');

class Counter extends eddy.Computation {
    metadata() {
        return { name: 'counter', inputs: [{ stream: 'words', grouping: 'key' }], outputs: ['counts'] };
    }

    processRecord(ctx, record) {
        const count = ctx.get('count'); // state of the current key (the word)
        const n = (count === undefined ? 0 : Number(count.toString())) + 1;
        ctx.put('count', String(n));
        ctx.produce('counts', record.key, String(n));
    }
}

eddy.run(new Counter());
