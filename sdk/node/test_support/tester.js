'use strict';

// The computation the SDK's process tests drive. Each record's value is a
// command, so one program covers every context call:
//   count        n = state "count" + 1; put; produce n (time inherited)
//   timed        produce "timed" at time 42
//   get:NAME     produce state NAME, or "<none>"
//   erase        erase "count"
//   timers       set an event-time timer (tag "t1") and a processing-time one
//   log          log info and warn lines
//   fail:N       throw on the first N attempts, then produce "ok"
//   always-fail  throw on every attempt
//   info         produce watermark, instance, config and processing time as JSON
// Config: `fail_init` makes init throw once; `state_in_init` makes it call get().

const eddy = require('../lib');

class Tester extends eddy.Computation {
    constructor() {
        super();
        this.attempts = new Map();
    }

    metadata() {
        return {
            name: 'tester',
            inputs: [{ stream: 'in', grouping: eddy.Grouping.KEY }, { stream: 'side', grouping: 'broadcast' }, { stream: 'any' }],
            outputs: ['out'],
        };
    }

    init(ctx) {
        ctx.log('info', `init ${ctx.instanceIndex()}/${ctx.instanceCount()} greeting=${ctx.config('greeting')}`);
        if (ctx.config('state_in_init') !== undefined) ctx.get('count');
        if (ctx.config('fail_init') !== undefined && !this.attempts.has('init')) {
            this.attempts.set('init', 1);
            throw new Error('init failed once');
        }
    }

    processRecord(ctx, record) {
        const command = record.value.toString();
        if (command === 'count') {
            const count = ctx.get('count');
            const n = (count === undefined ? 0 : Number(count.toString())) + 1;
            ctx.put('count', String(n));
            ctx.produce('out', record.key, String(n));
        } else if (command === 'timed') {
            ctx.produce('out', record.key, 'timed', 42);
        } else if (command.startsWith('get:')) {
            const value = ctx.get(command.slice(4));
            ctx.produce('out', record.key, value === undefined ? '<none>' : value);
        } else if (command === 'erase') {
            ctx.erase('count');
        } else if (command === 'timers') {
            ctx.setTimer(record.key, 1000, eddy.TimeDomain.EVENT_TIME, 't1');
            ctx.setTimer(record.key, 2000n, 'processing_time');
        } else if (command === 'log') {
            ctx.log(eddy.LogLevel.INFO, `seen ${record.key}`);
            ctx.log('warn', 'careful');
        } else if (command.startsWith('fail:')) {
            const key = `${record.key}/${record.time}`;
            const attempt = (this.attempts.get(key) ?? 0) + 1;
            this.attempts.set(key, attempt);
            if (attempt <= Number(command.slice(5))) throw new Error(`attempt ${attempt} failed`);
            ctx.produce('out', record.key, 'ok');
        } else if (command === 'always-fail') {
            ctx.produce('out', record.key, 'attempted');
            throw new Error('always fails');
        } else if (command === 'info') {
            const info = {
                stream: record.stream,
                watermark: String(ctx.watermark()),
                index: ctx.instanceIndex(),
                count: ctx.instanceCount(),
                greeting: ctx.config('greeting') ?? null,
                processingTime: ctx.processingTime(),
            };
            ctx.produce('out', record.key, JSON.stringify(info));
        } else {
            throw new Error(`unknown command ${command}`);
        }
    }

    processTimer(ctx, timer) {
        const count = ctx.get('count');
        ctx.produce('out', timer.key, `timer ${timer.tag} ${timer.domain} count=${count ?? '<none>'}`);
    }
}

eddy.run(new Tester());
