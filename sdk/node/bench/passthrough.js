'use strict';

// The pass-through benchmark computation: every record of "in" goes to "out"
// unchanged (key, value, time). Run by the executor benchmarks through the
// build's bin/passthrough wrapper, and in-process by harness.js.

const eddy = require('../lib');

class Passthrough extends eddy.Computation {
    metadata() {
        return { name: 'passthrough', inputs: [{ stream: 'in', grouping: 'shuffle' }], outputs: ['out'] };
    }

    processRecord(ctx, record) {
        ctx.produce('out', record.key, record.value, record.time);
    }
}

module.exports = { Passthrough };

if (require.main === module) eddy.run(new Passthrough());
