// A time-series chart over uPlot (vendor/uplot.js), sized to its container
// and fed whole columns at each refresh.

import uPlot from './vendor/uplot.js';

const min_window_seconds = 60;
const palette = ['#1f5f8b', '#c0392b', '#2e8b57', '#b7791f'];

function time_range(_, min, max) {
    const end = Number.isFinite(max) ? max : Date.now() / 1000;
    const start = Number.isFinite(min) ? min : end;
    return [Math.min(start, end - min_window_seconds), end];
}

export class time_chart {
    // `series`: [{label}] in the order of the data columns after time.
    constructor(container, { title, series, value_format }) {
        this._container = container;
        const width = Math.max(container.clientWidth, 320);
        this._plot = new uPlot({
            title,
            width,
            height: 200,
            // At least the last minute, so a young history does not zoom
            // into sub-second ticks.
            scales: { x: { time: true, range: time_range } },
            axes: [{}, { values: (_, ticks) => ticks.map(value_format), size: 70 }],
            series: [{}, ...series.map((x, i) => ({
                label: x.label,
                stroke: palette[i % palette.length],
                width: 2,
                spanGaps: false,
                value: (_, v) => (v === null || v === undefined ? '–' : value_format(v)),
            }))],
        }, [[], ...series.map(() => [])], container);
        this._resize = () => this._plot.setSize({
            width: Math.max(this._container.clientWidth, 320), height: 200,
        });
        window.addEventListener('resize', this._resize);
    }

    update(columns) {
        this._plot.setData(columns);
    }

    destroy() {
        window.removeEventListener('resize', this._resize);
        this._plot.destroy();
    }
}
