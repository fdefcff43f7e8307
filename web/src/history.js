// What the dashboard has seen of each computation since it was opened: one
// sample per poll (every second), the last ten minutes kept, so a
// computation's charts have a past as soon as its page opens.

const keep_seconds = 600;
const by_computation = new Map();

// Appends one sample per entry of GET /api/v1/computations.
export function record(computations, now_seconds) {
    for (const c of computations) {
        let samples = by_computation.get(c.name);
        if (!samples) {
            samples = [];
            by_computation.set(c.name, samples);
        }
        const latency = c.latency_ms || null;
        samples.push({
            t: now_seconds,
            in: number_or_null(c.records_in_per_second),
            out: number_or_null(c.records_out_per_second),
            p50: latency ? number_or_null(latency.p50) : null,
            p99: latency ? number_or_null(latency.p99) : null,
            backpressured: number_or_null(c.backpressured),
        });
        while (samples.length && samples[0].t < now_seconds - keep_seconds) {
            samples.shift();
        }
    }
}

// uPlot's columns for `fields` of a computation's samples: [times, ...series].
export function columns(name, fields) {
    const samples = by_computation.get(name) || [];
    return [samples.map((x) => x.t), ...fields.map((f) => samples.map((x) => x[f]))];
}

function number_or_null(value) {
    return typeof value === 'number' && Number.isFinite(value) ? value : null;
}
