'use strict';

// The word count example's computations in Node.js, one program; the first
// argument selects the role:
//
//   splitter  lines (shuffle) -> words: one record per word, value "1"
//   counter   words (key)     -> counts: the running count per word
//   sink      counts (shuffle): appends "KEY VALUE\n" per record to config `path`
//
// They produce exactly what the C++ word count (examples/wordcount) does.
// Run under eddy with a manifest entry such as
//   command: [node, wordcount.js, counter]
// with the SDK on NODE_PATH (the build's bin/wordcount wrapper sets it).

const fs = require('node:fs');

const eddy = require('eddy-sdk');

const SPACE = 0x20;

// Splits each line on single spaces, skipping empty pieces.
class Splitter extends eddy.Computation {
    metadata() {
        return { name: 'splitter', inputs: [{ stream: 'lines', grouping: 'shuffle' }], outputs: ['words'] };
    }

    processRecord(ctx, record) {
        const line = record.value;
        let start = 0;
        for (;;) {
            const end = line.indexOf(SPACE, start);
            const stop = end === -1 ? line.length : end;
            if (stop > start) ctx.produce('words', line.subarray(start, stop), '1');
            if (end === -1) return;
            start = end + 1;
        }
    }
}

// Counts words: one count per word, kept in keyed state.
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

// Appends every count to the file named by config `path`. Each line is
// written with a synchronous write before the callback returns, so it is in
// the file before the request's transaction tells the executor the record
// was processed.
class Sink extends eddy.Computation {
    metadata() {
        return { name: 'sink', inputs: [{ stream: 'counts', grouping: 'shuffle' }], outputs: [] };
    }

    init(ctx) {
        const path = ctx.config('path');
        if (path === undefined) throw new Error('sink needs config `path`: the file to append counts to');
        this.fd = fs.openSync(path, 'a');
    }

    processRecord(ctx, record) {
        const line = Buffer.concat([record.key, Buffer.from(' '), record.value, Buffer.from('\n')]);
        fs.writeSync(this.fd, line);
    }
}

const ROLES = { splitter: Splitter, counter: Counter, sink: Sink };

const Role = ROLES[process.argv[2]];
if (Role === undefined) {
    process.stderr.write(`usage: wordcount.js splitter|counter|sink (got ${process.argv[2] ?? 'nothing'})\n`);
    process.exit(2);
}
eddy.run(new Role());
