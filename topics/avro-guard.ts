/**
 * Checks an Avro binary body against its writer schema before avsc decodes it.
 * avsc trusts the block counts of arrays and maps: a corrupted count of a few
 * hundred million makes it fill an array that large from a body of a few
 * bytes, and V8 ends the whole process ("invalid size error") — one bad record
 * would crash-loop every executor that fetches it. This walk reads only sizes
 * and counts, refuses any count or length larger than the bytes left (an item
 * of a non-empty type takes at least one byte), and costs one pass over the
 * structure, not over string contents. avsc has no such check, hence this file.
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

export function checkAvroBody(schema: unknown, body: Buffer): void {
  const named = new Map<string, Schema>();
  let pos = 0;
  const fail = (what: string): never => {
    throw new AvroBodyError(`The Avro body is invalid at byte ${pos} of ${body.length}: ${what}.`);
  };
  const left = () => body.length - pos;
  const long = (): number => {
    let n = 0;
    let shift = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= body.length) fail('it ends inside a number');
      const b = body[pos++]!;
      n += (b & 0x7f) * shift;
      if (!(b & 0x80)) return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
      shift *= 128;
    }
    return fail('a number is longer than 10 bytes');
  };
  const skip = (n: number, what: string) => {
    if (n < 0 || n > left()) fail(`${what} of ${n} bytes, ${left()} left`);
    pos += n;
  };

  const nameOf = (s: Record<string, unknown>, ns: string | undefined) => {
    const name = String(s.name);
    return name.includes('.') ? name : (s.namespace as string | undefined) ?? ns ? `${(s.namespace as string | undefined) ?? ns}.${name}` : name;
  };
  const resolve = (s: Schema, ns: string | undefined): { s: Schema; ns: string | undefined } => {
    if (typeof s === 'string') {
      const found = named.get(s) ?? (ns ? named.get(`${ns}.${s}`) : undefined);
      if (found) return { s: found, ns: typeof found === 'object' && !Array.isArray(found) ? nsOf(found, ns) : ns };
    }
    return { s, ns };
  };
  const nsOf = (s: Record<string, unknown>, ns: string | undefined) => {
    const full = nameOf(s, ns);
    return full.includes('.') ? full.slice(0, full.lastIndexOf('.')) : undefined;
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

  const walk = (s0: Schema, ns: string | undefined): void => {
    const r = resolve(s0, ns);
    const s = r.s;
    if (Array.isArray(s)) {
      const i = long();
      if (i < 0 || i >= s.length) fail(`union branch ${i} of ${s.length}`);
      return walk(s[i]!, r.ns);
    }
    const t = typeof s === 'string' ? s : s.type;
    if (typeof t !== 'string') return walk(t, r.ns);
    switch (t) {
      case 'null':
        return;
      case 'boolean':
        return skip(1, 'a boolean');
      case 'int':
      case 'long':
        long();
        return;
      case 'float':
        return skip(4, 'a float');
      case 'double':
        return skip(8, 'a double');
      case 'bytes':
      case 'string':
        return skip(long(), `a ${t}`);
    }
    if (typeof s === 'string') return fail(`the schema names an unknown type "${s}"`);
    switch (t) {
      case 'record':
      case 'error': {
        const own = nsOf(s, r.ns);
        for (const f of (s.fields as { type: Schema }[]) ?? []) walk(f.type, own);
        return;
      }
      case 'enum': {
        const i = long();
        if (i < 0 || i >= ((s.symbols as unknown[]) ?? []).length) fail(`enum symbol ${i}`);
        return;
      }
      case 'fixed':
        return skip(Number(s.size), 'a fixed');
      case 'array':
      case 'map': {
        const item = (t === 'array' ? s.items : s.values) as Schema;
        const itemEmpty = t === 'array' && empty(item, r.ns);
        for (let n = long(); n !== 0; n = long()) {
          if (n < 0) {
            n = -n;
            long(); // the block's size in bytes
          }
          if (itemEmpty ? n > MAX_EMPTY_ITEMS : n > left()) fail(`a block claims ${n} items with ${left()} bytes left`);
          for (let i = 0; i < n; i++) {
            if (t === 'map') skip(long(), 'a map key');
            walk(item, r.ns);
          }
        }
        return;
      }
    }
    return fail(`the schema has an unknown type "${t}"`);
  };

  collect(schema as Schema, undefined);
  walk(schema as Schema, undefined);
}
