// Schema validation of one Kubernetes object with the kubernetes-models
// package: the model class of its apiVersion and kind, and that model's
// validate(), which checks the object against the Kubernetes OpenAPI schema
// (types, required fields, enums, formats).
//
// The OpenAPI schema allows fields it does not know, and the API server
// rejects them (kubectl's strict field validation): a misspelt optional field
// such as `readOnlyRootFileSystem` would pass the schema and fail on a
// cluster, or worse be dropped by an older client. So validate() runs on a
// proxy of the object that records which keys the compiled schema reads. A
// schema reads every property it defines; an object whose keys it listed is
// a map (labels, data), where any key goes; an object it read nothing of is
// free-form (or under a field already reported). Any other key is unknown.

const modules = new Map();

async function model_module(api_version) {
    if (!modules.has(api_version)) {
        // kubernetes-models exports one module per API group and version:
        // "v1" is kubernetes-models/v1, "apps/v1" kubernetes-models/apps/v1.
        modules.set(api_version, import(`kubernetes-models/${api_version}`).catch(() => undefined));
    }
    return modules.get(api_version);
}

// The model class for an object, or a message saying why there is none.
export async function model_class(value) {
    const { apiVersion: api_version, kind } = value;
    if (typeof api_version !== 'string' || typeof kind !== 'string') {
        return { missing: 'has no apiVersion and kind: not a Kubernetes object' };
    }
    if (!/^([a-z0-9.-]+\/)?v[0-9]+((alpha|beta)[0-9]+)?$/.test(api_version)) {
        return { missing: `apiVersion ${JSON.stringify(api_version)} is not a Kubernetes API version` };
    }
    const module = await model_module(api_version);
    if (!module) return { missing: `apiVersion ${api_version} is not a built-in Kubernetes API` };
    const model = module[kind];
    if (typeof model !== 'function' || model.kind !== kind || model.apiVersion !== api_version) {
        return { missing: `kind ${kind} does not exist in ${api_version}` };
    }
    return { model };
}

function tracked(value, at, records) {
    if (value === null || typeof value !== 'object') return value;
    const record = { at, value, read: new Set(), listed: false };
    records.push(record);
    const children = Array.isArray(value) ? [] : {};
    for (const [key, child] of Object.entries(value)) {
        children[key] = tracked(child, [...at, Array.isArray(value) ? Number(key) : key], records);
    }
    return new Proxy(value, {
        get(target, key) {
            if (typeof key === 'string') record.read.add(key);
            return Object.hasOwn(children, key) ? children[key] : target[key];
        },
        has(target, key) {
            if (typeof key === 'string') record.read.add(key);
            return key in target;
        },
        ownKeys(target) {
            record.listed = true;
            return Reflect.ownKeys(target);
        },
        getOwnPropertyDescriptor(target, key) {
            record.listed = true;
            return Reflect.getOwnPropertyDescriptor(target, key);
        },
    });
}

function ajv_field(error) {
    const at = error.instancePath.split('/').slice(1).map((part) => {
        const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
        return /^[0-9]+$/.test(key) ? Number(key) : key;
    });
    if (error.keyword === 'required') return [...at, error.params.missingProperty];
    return at;
}

function ajv_message(error) {
    if (error.keyword === 'required') return 'is required';
    if (error.keyword === 'enum') return `must be one of ${error.params.allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    return error.message ?? error.keyword;
}

// Validates `value` against its schema. Returns [{ field, message }], empty
// when it is valid.
export async function schema_problems(value) {
    const { model, missing } = await model_class(value);
    if (missing) return [{ field: [], message: missing }];
    const object = new model(value);
    const records = [];
    const found = [];
    try {
        object.validate.call(tracked(object, [], records));
    } catch (error) {
        if (!Array.isArray(error.errors)) throw error;
        // anyOf/oneOf add a summary after the alternatives' own errors.
        const errors = error.errors.filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'oneOf');
        // One line per field: an int-or-string field that is neither says
        // "must be string or integer".
        const by_field = new Map();
        for (const e of errors.length > 0 ? errors : error.errors) {
            const field = ajv_field(e);
            const key = JSON.stringify(field);
            if (!by_field.has(key)) by_field.set(key, { field, messages: [] });
            by_field.get(key).messages.push(ajv_message(e));
        }
        for (const { field, messages } of by_field.values()) {
            const types = messages.every((m) => m.startsWith('must be '));
            const message = types
                ? `must be ${messages.map((m) => m.slice('must be '.length)).join(' or ')}`
                : messages.join('; ');
            found.push({ field, message });
        }
    }
    for (const record of records) {
        if (Array.isArray(record.value) || record.listed || record.read.size === 0) continue;
        for (const key of Object.keys(record.value)) {
            if (!record.read.has(key)) {
                found.push({ field: [...record.at, key], message: `unknown field: ${value.kind} has no such field here (misspelt?)` });
            }
        }
    }
    return found;
}
