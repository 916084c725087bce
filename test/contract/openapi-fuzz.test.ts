import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import yaml from 'js-yaml';
import { schemaArbitrary, type Schema } from '../support/schema-arbitrary';
import { gatewayUrl, startExecutor, startGateway, stopService } from '../support/stack';

/**
 * Property-based checks that docs/openapi.yaml and the gateway agree: bodies
 * generated from the spec's own request schemas are never refused as
 * malformed (the language is one no runtime has, so nothing runs and each
 * request takes milliseconds), arbitrary bodies get a 4xx with a stable code
 * and a sentence, never a 5xx, and wrong methods get 405 with Allow.
 */
const spec = yaml.load(fs.readFileSync(path.join(__dirname, '../../docs/openapi.yaml'), 'utf8')) as {
  paths: Record<string, Record<string, { requestBody?: { content: { 'application/json': { schema: Schema } } } }>>;
  components: { schemas: Record<string, Schema> };
};
const arbitraryOf = (schema: Schema, overrides: Record<string, fc.Arbitrary<unknown>> = {}) => schemaArbitrary(schema, { refs: spec.components.schemas, overrides });

const bodySchema = (p: string) => spec.paths[p]!.post!.requestBody!.content['application/json'].schema;
// A language no runtime has: the request passes the schema and is refused by the catalog, so nothing runs.
const noSuchLanguage = fc.string({ minLength: 1, maxLength: 20 }).map((s) => `zz-${s}`);
let key = 0;
const post = async (p: string, body: unknown) => {
  const res = await fetch(`${gatewayUrl}${p}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': `fuzz-${++key}` }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as any };
};

const services: Awaited<ReturnType<typeof startGateway>>[] = [];
beforeAll(async () => {
  // An executor makes x86_64 live, so requests get past the presence check when they are valid.
  services.push(await startExecutor('executor-fuzz'), await startGateway());
}, 180000);
afterAll(async () => {
  for (const s of services.reverse()) await stopService(s, 5000);
});

describe('docs/openapi.yaml and the gateway agree', () => {
  it('never refuses a POST /api/v1/runs body the spec allows as malformed', async () => {
    await fc.assert(
      fc.asyncProperty(arbitraryOf(bodySchema('/api/v1/runs'), { language: noSuchLanguage }), async (body) => {
        const r = await post('/api/v1/runs', body);
        expect(r.status).toBeLessThan(500);
        expect(r.json.error).toEqual({ code: expect.any(String), message: expect.any(String) });
        expect(r.json.error.code).not.toBe('invalid_request');
      }),
      { numRuns: 40 },
    );
  });

  it('never refuses a POST /api/v2/execute body the spec allows as malformed', async () => {
    await fc.assert(
      fc.asyncProperty(arbitraryOf(bodySchema('/api/v2/execute'), { language: noSuchLanguage }), async (body) => {
        const r = await post('/api/v2/execute', body);
        expect(r.status).toBe(400);
        expect(r.json.message).toMatch(/runtime is unknown$/);
      }),
      { numRuns: 40 },
    );
  });

  it('answers arbitrary JSON with a 4xx, a stable code and a sentence, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 3 }), async (body) => {
        const r = await post('/api/v1/runs', body);
        expect(r.status).toBeGreaterThanOrEqual(400);
        expect(r.status).toBeLessThan(500);
        expect(r.json.error.message.length).toBeGreaterThan(5);
      }),
      { numRuns: 50 },
    );
  });

  it('reads a JSON body sent without a content-type, as piston-client does', async () => {
    const res = await fetch(`${gatewayUrl}/api/v2/execute`, { method: 'POST', body: Buffer.from(JSON.stringify({ language: 'python', version: '*', files: [{ content: 'print(6 * 7)' }] })) });
    expect(res.headers.get('content-type')).toMatch(/json/);
    expect(((await res.json()) as any).run.stdout).toBe('42\n');
  });

  it('answers a wrong method on a known path with 405 and Allow', async () => {
    for (const [p, method, allow] of [['/api/v1/runs', 'GET', 'POST'], ['/api/v2/execute', 'PUT', 'POST'], ['/api/v1/runtimes', 'DELETE', 'GET, HEAD']]) {
      const res = await fetch(`${gatewayUrl}${p}`, { method });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe(allow);
      expect(((await res.json()) as any).error?.code ?? 'piston').toMatch(/method_not_allowed|piston/);
    }
    expect((await fetch(`${gatewayUrl}/api/v1/nothing-here`)).status).toBe(404);
  });
});
