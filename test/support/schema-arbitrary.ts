import fc from 'fast-check';

/**
 * fast-check arbitraries of the values a JSON Schema allows, for the subset
 * Conveyor's documents use (docs/openapi.yaml, docs/editor-protocol.schema.json):
 * types, const, enum, oneOf/anyOf, required and optional properties, string
 * and array bounds, integer ranges, $ref into a components table. Strings are
 * kept short: what is checked is that the services agree with their
 * documents, not their size limits.
 */
export type Schema = {
  type?: string | string[]; properties?: Record<string, Schema>; required?: string[]; anyOf?: Schema[]; oneOf?: Schema[]; items?: Schema; enum?: unknown[]; const?: unknown;
  minLength?: number; maxLength?: number; minItems?: number; maxItems?: number; minimum?: number; maximum?: number; pattern?: string; $ref?: string; format?: string; nullable?: boolean; default?: unknown;
};

export function schemaArbitrary(schema: Schema, o: { refs?: Record<string, Schema>; overrides?: Record<string, fc.Arbitrary<unknown>> } = {}): fc.Arbitrary<unknown> {
  const overrides = o.overrides ?? {};
  const resolve = (s: Schema): Schema => (s.$ref ? resolve(o.refs![s.$ref.split('/').pop()!]!) : s);
  const of = (raw: Schema): fc.Arbitrary<unknown> => {
    const s = resolve(raw);
    if (s.const !== undefined) return fc.constant(s.const);
    if (s.enum) return fc.constantFrom(...s.enum);
    if (s.pattern === '^https?://' || s.format === 'uri') return fc.constantFrom('https://example.com/hook', 'http://hooks.example.org/x');
    const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
    // anyOf without a type: one of the alternatives; with properties (openapi's "one of these required"): the object's.
    if ((s.oneOf ?? s.anyOf) && !s.properties) return fc.oneof(...(s.oneOf ?? s.anyOf)!.map(of));
    switch (type) {
      case 'string':
        return fc.string({ minLength: s.minLength ?? 0, maxLength: Math.min(s.maxLength ?? 40, 40), unit: 'grapheme' });
      case 'number':
        return fc.oneof(fc.integer({ min: -10, max: 100000 }), fc.double({ noNaN: true, noDefaultInfinity: true }));
      case 'integer':
        return fc.oneof(
          fc.integer({ min: Math.max(s.minimum ?? -1e6, Number.MIN_SAFE_INTEGER), max: Math.min(s.maximum ?? 1e6, 1e6) }),
          fc.constantFrom(...[s.minimum, s.maximum].filter((v): v is number => v !== undefined)),
        );
      case 'boolean':
        return fc.boolean();
      case 'array':
        return fc.array(of(s.items ?? {}), { minLength: s.minItems ?? 0, maxLength: Math.min(s.maxItems ?? 3, 3) });
      case 'object': {
        const props = s.properties ?? {};
        const must = new Set(s.required ?? []);
        const record = (required: Set<string>) =>
          fc.record(Object.fromEntries(Object.entries(props).map(([k, v]) => [k, overrides[k] ?? of(v)])), { requiredKeys: [...required] as never[] });
        const alternatives = s.anyOf ?? s.oneOf;
        return alternatives ? fc.oneof(...alternatives.map((a) => record(new Set([...must, ...(a.required ?? [])])))) : record(must);
      }
      default:
        return fc.jsonValue();
    }
  };
  return of(schema);
}

/** How many cases a fuzz property runs: its CI share, or FUZZ_RUNS spread by the same shares (100000 for the long run). */
export function fuzzRuns(ciRuns: number, share = 1): number {
  const total = Number(process.env.FUZZ_RUNS ?? 0);
  return total > 0 ? Math.max(1, Math.round(total * share)) : ciRuns;
}
