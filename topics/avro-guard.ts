/**
 * Checks an Avro binary body against its writer schema before avsc decodes it.
 * avsc trusts the block counts of arrays and maps: a corrupted count of a few
 * hundred million makes it fill an array that large from a body of a few
 * bytes, and V8 ends the whole process ("invalid size error") — one bad record
 * would crash-loop every executor that fetches it. This walk reads only sizes
 * and counts, refuses any count or length larger than the bytes left (an item
 * of a non-empty type takes at least one byte), and costs one pass over the
 * structure, not over string contents, with the schema compiled once. avsc has no such check, hence this file.
 */
export class AvroBodyError extends Error {
  readonly code = 'avro_invalid';
  constructor(message: string) {
    super(message);
    this.name = 'AvroBodyError';
  }
}

type Schema = string | Schema[] | { type: Schema | string; [k: string]: unknown };

/** Most items a block may claim for an item type that takes no bytes (null, an empty record). */
const MAX_EMPTY_ITEMS = 1_000_000;

/** Where a check is in the body. */
interface Reader { body: Buffer; pos: number }
type Check = (r: Reader) => void;

const fail = (r: Reader, what: string): never => {
  throw new AvroBodyError(`The Avro body is invalid at byte ${r.pos} of ${r.body.length}: ${what}.`);
};
const left = (r: Reader) => r.body.length - r.pos;
function long(r: Reader): number {
  let n = 0;
  let shift = 1;
  for (let i = 0; i < 10; i++) {
    if (r.pos >= r.body.length) fail(r, 'it ends inside a number');
    const b = r.body[r.pos++]!;
    n += (b & 0x7f) * shift;
    if (!(b & 0x80)) return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
    shift *= 128;
  }
  return fail(r, 'a number is longer than 10 bytes');
}
function skip(r: Reader, n: number, what: string): void {
  if (n < 0 || n > left(r)) fail(r, `${what} of ${n} bytes, ${left(r)} left`);
  r.pos += n;
}

const nameOf = (s: Record<string, unknown>, ns: string | undefined) => {
  const name = String(s.name);
  return name.includes('.') ? name : (s.namespace as string | undefined) ?? ns ? `${(s.namespace as string | undefined) ?? ns}.${name}` : name;
};
const nsOf = (s: Record<string, unknown>, ns: string | undefined) => {
  const full = nameOf(s, ns);
  return full.includes('.') ? full.slice(0, full.lastIndexOf('.')) : undefined;
};

/**
 * Turns a writer schema into its check, once: names are resolved, namespaces
 * worked out and empty item types found here, so checking a body only reads
 * its bytes (a fresh walk of the schema per record cost the executor more than
 * avsc's own decoding). A schema fault (an unknown type) fails when a value
 * reaches it, as a walk would.
 */
function compile(schema: Schema): Check {
  const named = new Map<string, Schema>();
  const byName = new Map<string, Check>();
  const resolve = (s: Schema, ns: string | undefined): { s: Schema; ns: string | undefined; name?: string } => {
    if (typeof s === 'string') {
      const name = named.has(s) ? s : ns && named.has(`${ns}.${s}`) ? `${ns}.${s}` : undefined;
      const found = name === undefined ? undefined : named.get(name);
      if (found) return { s: found, ns: typeof found === 'object' && !Array.isArray(found) ? nsOf(found, ns) : ns, name };
    }
    return { s, ns };
  };
  /** Every named type of the schema, before any value is read (a name may be used before a value of it appears). */
  const collect = (s: Schema, ns: string | undefined, depth = 0): void => {
    if (depth > 64 || typeof s === 'string') return;
    if (Array.isArray(s)) return s.forEach((b) => collect(b, ns, depth + 1));
    const t = s.type;
    if (typeof t !== 'string') return collect(t, ns, depth + 1);
    if (['record', 'error', 'enum', 'fixed'].includes(t)) named.set(nameOf(s, ns), s);
    if (t === 'record' || t === 'error') for (const f of (s.fields as { type: Schema }[]) ?? []) collect(f.type, nsOf(s, ns), depth + 1);
    if (t === 'array') collect(s.items as Schema, ns, depth + 1);
    if (t === 'map') collect(s.values as Schema, ns, depth + 1);
  };
  /** Whether a value of this type can take no bytes at all. */
  const empty = (s0: Schema, ns: string | undefined, depth = 0): boolean => {
    const { s, ns: own } = resolve(s0, ns);
    if (depth > 32 || Array.isArray(s)) return false;
    const t = typeof s === 'string' ? s : s.type;
    if (typeof t !== 'string') return empty(t, own, depth + 1);
    if (t === 'null') return true;
    if (typeof s === 'string') return false;
    if (t === 'record' || t === 'error') return ((s.fields as { type: Schema }[]) ?? []).every((f) => empty(f.type, nsOf(s, own), depth + 1));
    return t === 'fixed' && Number(s.size) === 0;
  };

  const node = (s0: Schema, ns: string | undefined): Check => {
    const r0 = resolve(s0, ns);
    if (r0.name !== undefined) {
      // A reference by name, compiled when a value first reaches it (a record may contain itself).
      const name = r0.name;
      let check = byName.get(name);
      if (check) return check;
      let built: Check | undefined;
      check = (r) => (built ??= build(r0.s, r0.ns))(r);
      byName.set(name, check);
      return check;
    }
    return build(r0.s, r0.ns);
  };

  const build = (s: Schema, ns: string | undefined): Check => {
    if (Array.isArray(s)) {
      const branches = s.map((b) => node(b, ns));
      return (r) => {
        const i = long(r);
        if (i < 0 || i >= branches.length) fail(r, `union branch ${i} of ${branches.length}`);
        branches[i]!(r);
      };
    }
    const t = typeof s === 'string' ? s : s.type;
    if (typeof t !== 'string') return node(t, ns);
    switch (t) {
      case 'null':
        return () => {};
      case 'boolean':
        return (r) => skip(r, 1, 'a boolean');
      case 'int':
      case 'long':
        return (r) => void long(r);
      case 'float':
        return (r) => skip(r, 4, 'a float');
      case 'double':
        return (r) => skip(r, 8, 'a double');
      case 'bytes':
      case 'string': {
        const what = `a ${t}`;
        return (r) => skip(r, long(r), what);
      }
    }
    if (typeof s === 'string') return (r) => fail(r, `the schema names an unknown type "${s}"`);
    switch (t) {
      case 'record':
      case 'error': {
        const own = nsOf(s, ns);
        const fields = ((s.fields as { type: Schema }[]) ?? []).map((f) => node(f.type, own));
        return (r) => {
          for (const f of fields) f(r);
        };
      }
      case 'enum': {
        const symbols = ((s.symbols as unknown[]) ?? []).length;
        return (r) => {
          const i = long(r);
          if (i < 0 || i >= symbols) fail(r, `enum symbol ${i}`);
        };
      }
      case 'fixed': {
        const size = Number(s.size);
        return (r) => skip(r, size, 'a fixed');
      }
      case 'array':
      case 'map': {
        const itemSchema = (t === 'array' ? s.items : s.values) as Schema;
        const item = node(itemSchema, ns);
        const isMap = t === 'map';
        const itemEmpty = t === 'array' && empty(itemSchema, ns);
        return (r) => {
          for (let n = long(r); n !== 0; n = long(r)) {
            if (n < 0) {
              n = -n;
              long(r); // the block's size in bytes
            }
            if (itemEmpty ? n > MAX_EMPTY_ITEMS : n > left(r)) fail(r, `a block claims ${n} items with ${left(r)} bytes left`);
            for (let i = 0; i < n; i++) {
              if (isMap) skip(r, long(r), 'a map key');
              item(r);
            }
          }
        };
      }
    }
    return (r) => fail(r, `the schema has an unknown type "${t}"`);
  };

  collect(schema, undefined);
  return node(schema, undefined);
}

/** Checks per schema object (the registry hands out one object per schema id). */
const compiled = new WeakMap<object, Check>();

export function checkAvroBody(schema: unknown, body: Buffer): void {
  let check = typeof schema === 'object' && schema !== null ? compiled.get(schema) : undefined;
  if (!check) {
    check = compile(schema as Schema);
    if (typeof schema === 'object' && schema !== null) compiled.set(schema, check);
  }
  check({ body, pos: 0 });
}
