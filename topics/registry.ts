import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import { checkAvroBody } from './avro-guard';
import { loadSchema, subjectOf, type TopicSpec } from './catalog';

export type Compatibility = 'BACKWARD' | 'FORWARD' | 'FULL' | 'NONE';

export class RegistryError extends Error {
  constructor(readonly code: 'schema_incompatible' | 'registry_unavailable' | 'schema_unknown', message: string) {
    super(message);
    this.name = 'RegistryError';
  }
}

/**
 * The schema registry as Conveyor uses it: register a topic's value schema
 * under BACKWARD compatibility, then encode and decode values in the
 * Confluent wire format (magic byte 0, 4-byte schema id, Avro body).
 */
export interface Registry {
  register(spec: TopicSpec, schema?: Record<string, unknown>): Promise<number>;
  encode<T>(spec: TopicSpec<T>, value: T): Promise<Buffer>;
  /**
   * Decodes a value in the Confluent wire format. With the topic's spec, the
   * writer's schema is resolved into Conveyor's current one (a field an older
   * writer lacks takes its default, one a newer writer added is dropped), as
   * Avro schema resolution prescribes; without it, the value keeps the
   * writer's shape.
   */
  decode<T = unknown>(buffer: Buffer, spec?: TopicSpec<T>): Promise<T>;
  /** The writer schema behind a schema id (cached; ids never change meaning). */
  schemaById(id: number): Promise<Record<string, unknown>>;
  compatibility(subject: string): Promise<Compatibility | null>;
  readonly url: string;
}

/** The Confluent wire format: magic byte 0, a 4-byte big-endian schema id, then the Avro body. */
const WIRE_PREFIX_BYTES = 5;

/** The schema id of a value in the Confluent wire format, or null if it is not one. */
export function schemaIdOf(value: Buffer | null | undefined): number | null {
  return value && value.length >= WIRE_PREFIX_BYTES && value[0] === 0 ? value.readInt32BE(1) : null;
}

/** The Avro body of a value in the Confluent wire format (check it with schemaIdOf first). */
export function avroBodyOf(value: Buffer): Buffer {
  return value.subarray(WIRE_PREFIX_BYTES);
}

export function createRegistry({ url, compatibility = 'BACKWARD', fetch = globalThis.fetch }: {
  url: string;
  compatibility?: Compatibility;
  /** How the registry's REST API is reached (a spec passes a fake). */
  fetch?: typeof globalThis.fetch;
}): Registry {
  const client = new SchemaRegistry({ host: url });
  const ids = new Map<string, number>();
  const byId = new Map<number, Promise<Record<string, unknown>>>();
  const writers = new Map<number, Promise<avro.Type>>();
  /** Per reader schema file: its type, and per writer id the resolver into it (null: the same schema). */
  const readers = new Map<string, { type: avro.Type; resolvers: Map<number, avro.Resolver | null> }>();

  function writerType(id: number): Promise<avro.Type> {
    let t = writers.get(id);
    if (!t) {
      t = registry.schemaById(id).then((schema) => avro.Type.forSchema(schema as avro.Schema));
      writers.set(id, t);
      t.catch(() => writers.delete(id));
    }
    return t;
  }

  function readerOf(spec: TopicSpec) {
    let r = readers.get(spec.schemaFile);
    if (!r) readers.set(spec.schemaFile, (r = { type: avro.Type.forSchema(loadSchema(spec) as avro.Schema), resolvers: new Map() }));
    return r;
  }

  async function http(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    let res: Response;
    try {
      res = await fetch(`${url}${path}`, {
        method,
        headers: { 'Content-Type': 'application/vnd.schemaregistry.v1+json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        // A registry that accepts connections but never answers is as unavailable as one that refuses them.
        signal: AbortSignal.timeout(10000),
      });
    } catch (err) {
      throw new RegistryError('registry_unavailable', `The schema registry at ${url} cannot be reached: ${(err as Error).message}`);
    }
    let text: string;
    try {
      text = await res.text();
      return { status: res.status, json: text ? (JSON.parse(text) as unknown) : null };
    } catch (err) {
      // A proxy's error page or a connection cut mid-answer: the registry is not answering properly.
      throw new RegistryError('registry_unavailable', `The schema registry at ${url} answered ${res.status} without a JSON body: ${(err as Error).message}`);
    }
  }

  async function current(subject: string): Promise<Compatibility | null> {
    const { status, json } = await http('GET', `/config/${encodeURIComponent(subject)}`);
    if (status === 404) return null;
    return ((json as { compatibilityLevel?: string }).compatibilityLevel?.toUpperCase() ?? null) as Compatibility | null;
  }

  /**
   * Apicurio answers 200 NONE for a subject without a rule where Confluent
   * answers 404, and the kafkajs client then refuses to register. Setting the
   * rule explicitly before registering makes both registries behave alike.
   */
  async function ensureCompatibility(subject: string): Promise<void> {
    const level = await current(subject);
    if (level !== null && level !== compatibility) {
      await http('PUT', `/config/${encodeURIComponent(subject)}`, { compatibility });
    }
  }

  const registry: Registry = {
    url,
    compatibility: current,
    async register(spec, schema = loadSchema(spec)) {
      const subject = subjectOf(spec);
      await ensureCompatibility(subject);
      try {
        const { id } = await client.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject, compatibility: COMPATIBILITY[compatibility] });
        await ensureCompatibility(subject);
        ids.set(spec.name, id);
        return id;
      } catch (err) {
        const e = err as { status?: number; message?: string };
        if (e.status === 409) {
          throw new RegistryError('schema_incompatible', `The new schema for ${subject} is not ${compatibility} compatible with the registered one: ${e.message}`);
        }
        throw err;
      }
    },
    async encode(spec, value) {
      let id = ids.get(spec.name);
      if (id === undefined) {
        id = await client.getLatestSchemaId(subjectOf(spec));
        ids.set(spec.name, id);
      }
      return client.encode(id, value);
    },
    async decode<T>(buffer: Buffer, spec?: TopicSpec<T>) {
      const id = schemaIdOf(buffer);
      if (id === null) throw new RegistryError('schema_unknown', `Message encoded with magic byte ${buffer[0]}, expected 0 and a 4-byte schema id.`);
      const writer = await writerType(id);
      const payload = avroBodyOf(buffer);
      // A corrupted block count would make avsc fill an array until V8 ends the process: checked first.
      checkAvroBody(await registry.schemaById(id), payload);
      if (!spec) return writer.fromBuffer(payload) as T;
      const { type: reader, resolvers } = readerOf(spec);
      let resolver = resolvers.get(id);
      if (resolver === undefined) resolvers.set(id, (resolver = reader.equals(writer) ? null : reader.createResolver(writer)));
      return (resolver ? reader.fromBuffer(payload, resolver) : reader.fromBuffer(payload)) as T;
    },
    schemaById(id) {
      let known = byId.get(id);
      if (!known) {
        known = http('GET', `/schemas/ids/${id}`).then(({ status, json }) => {
          if (status === 404) throw new RegistryError('schema_unknown', `The schema registry has no schema with id ${id}.`);
          const text = (json as { schema?: string } | null)?.schema;
          if (status !== 200 || typeof text !== 'string') {
            throw new RegistryError('registry_unavailable', `The schema registry answered ${status} for schema id ${id}.`);
          }
          return JSON.parse(text) as Record<string, unknown>;
        });
        byId.set(id, known);
        known.catch(() => byId.delete(id));
      }
      return known;
    },
  };
  return registry;
}
