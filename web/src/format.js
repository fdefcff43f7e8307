// How numbers are shown. Whatever the coordinator does not report (a field
// missing, or null) shows as an en dash.

export const missing = '–';

const known = (value) => typeof value === 'number' && Number.isFinite(value);

export function rate(value) {
    if (!known(value)) {
        return missing;
    }
    if (value >= 1e6) {
        return `${(value / 1e6).toFixed(2)}M/s`;
    }
    if (value >= 1e4) {
        return `${(value / 1e3).toFixed(1)}k/s`;
    }
    return `${value >= 100 ? Math.round(value) : value.toFixed(1)}/s`;
}

export function bytes_rate(value) {
    if (!known(value)) {
        return missing;
    }
    const units = ['B/s', 'KiB/s', 'MiB/s', 'GiB/s'];
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
        value /= 1024;
        unit += 1;
    }
    return `${value >= 100 || unit === 0 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

export function fraction(value) {
    return known(value) ? `${Math.round(value * 100)}%` : missing;
}

export function millis(value) {
    if (!known(value)) {
        return missing;
    }
    if (value >= 1000) {
        return `${(value / 1000).toFixed(2)} s`;
    }
    if (value < 0.1) {
        return `${Math.round(value * 1000)} µs`;
    }
    return `${value >= 10 ? Math.round(value) : value.toFixed(2)} ms`;
}

export function micros(value) {
    return known(value) ? millis(value / 1000) : missing;
}

export function count(value) {
    return known(value) ? Math.round(value).toLocaleString('en') : missing;
}

export function seconds(value) {
    return known(value) ? `${value.toFixed(1)} s` : missing;
}

export function text(value) {
    return value === undefined || value === null || value === '' ? missing : String(value);
}

export function time_of_day(micros_since_epoch) {
    if (!known(micros_since_epoch)) {
        return missing;
    }
    const when = new Date(micros_since_epoch / 1000);
    return when.toLocaleTimeString('en-GB', { hour12: false }) +
        `.${String(when.getMilliseconds()).padStart(3, '0')}`;
}

// How hard a computation is held back: none, some, or most of the time.
export function pressure_level(backpressured) {
    if (!known(backpressured)) {
        return 'unknown';
    }
    if (backpressured >= 0.5) {
        return 'high';
    }
    return backpressured >= 0.1 ? 'some' : 'none';
}
