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
   * A synchronous encoder for the topic's current schema (its id looked up
   * once): hot paths encode without a promise per record.
   */
  encoder<T>(spec: TopicSpec<T>): Promise<(value: T) => Buffer>;
  /** The encoder when it is ready already (after a first `encoder` or `encode` of the topic), else undefined. */
  encoderNow<T>(spec: TopicSpec<T>): ((value: T) => Buffer) | undefined;
  /**
   * Decodes a value in the Confluent wire format. With the topic's spec, the
   * writer's schema is resolved into Conveyor's current one (a field an older
   * writer lacks takes its default, one a newer writer added is dropped), as
   * Avro schema resolution prescribes; without it, the value keeps the
   * writer's shape.
   */
  decode<T = unknown>(buffer: Buffer, spec?: TopicSpec<T>): Promise<T>;
  /**
   * `decode` without a promise once the value's writer schema is known here
   * (after a first `decode` of that schema id); undefined when it is not yet.
   * Throws as `decode` rejects.
   */
  decodeNow<T = unknown>(buffer: Buffer, spec?: TopicSpec<T>): T | undefined;
  /** The writer schema behind a schema id (cached; ids never change meaning). */
  schemaById(id: number): Promise<Record<string, unknown>>;
  compatibility(subject: string): Promise<Compatibility | null>;
  readonly url: string;
}

/** The Confluent wire format: magic byte 0, a 4-byte big-endian schema id, then the Avro body. */
const WIRE_PREFIX_BYTES = 5;

/** Where avsc encodes a value before it is copied out behind its prefix; grows to the largest value seen. */
let scratch = Buffer.allocUnsafe(64 * 1024);

/** A value in the Confluent wire format, encoded by `type` in one pass and one copy (no intermediate body buffer). */
function frame(type: avro.Type, id: number, value: unknown): Buffer {
  let end = type.encode(value, scratch, WIRE_PREFIX_BYTES);
  if (end < 0) {
    // avsc answers how many bytes were missing: grow once and encode again.
    scratch = Buffer.allocUnsafe(2 * (scratch.length - end));
    end = type.encode(value, scratch, WIRE_PREFIX_BYTES);
  }
  const out = Buffer.allocUnsafe(end);
  scratch.copy(out, WIRE_PREFIX_BYTES, WIRE_PREFIX_BYTES, end);
  out[0] = 0;
  out.writeInt32BE(id, 1);
  return out;
}

/** The paths of a value that its type refuses, for the error a bad value gets. */
function invalidPaths(type: avro.Type, value: unknown): string[] {
  const paths: string[] = [];
  type.isValid(value, { errorHook: (path) => paths.push(path.join('.') || '(root)') });
  return paths;
}

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
  /** Writer schemas and types already fetched, by id: what the synchronous paths read. */
  const known = new Map<number, { schema: Record<string, unknown>; type: avro.Type }>();
  /** Per topic: its schema id and the encoder of that schema (reset when the topic registers a schema). */
  const encoders = new Map<string, (value: never) => Buffer>();
  /** Per reader schema file: its type, and per writer id the resolver into it (null: the same schema). */
  const readers = new Map<string, { type: avro.Type; resolvers: Map<number, avro.Resolver | null> }>();

  function writerType(id: number): Promise<avro.Type> {
    let t = writers.get(id);
    if (!t) {
      t = registry.schemaById(id).then((schema) => {
        const type = avro.Type.forSchema(schema as avro.Schema);
        known.set(id, { schema, type });
        return type;
      });
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

  /** The id of a subject's latest schema (what a producer encodes with). */
  async function latestId(subject: string): Promise<number> {
    const { status, json } = await http('GET', `/subjects/${encodeURIComponent(subject)}/versions/latest`);
    if (status === 404) throw new RegistryError('schema_unknown', `The schema registry has no schema for ${subject}; apply the topics first (conveyor topics apply).`);
    const id = (json as { id?: unknown } | null)?.id;
    if (status !== 200 || typeof id !== 'number') throw new RegistryError('registry_unavailable', `The schema registry answered ${status} for the latest schema of ${subject}.`);
    return id;
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
        encoders.delete(spec.name);
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
      return (await registry.encoder(spec))(value);
    },
    encoderNow<T>(spec: TopicSpec<T>) {
      return encoders.get(spec.name) as ((value: T) => Buffer) | undefined;
    },
    async encoder<T>(spec: TopicSpec<T>) {
      const ready = registry.encoderNow(spec);
      if (ready) return ready;
      let id = ids.get(spec.name);
      if (id === undefined) {
        id = await latestId(subjectOf(spec));
        ids.set(spec.name, id);
      }
      const schemaId = id;
      const type = await writerType(schemaId);
      const encode = (value: T): Buffer => {
        try {
          return frame(type, schemaId, value);
        } catch (err) {
          throw new Error(`A ${spec.name} value does not match its schema (id ${schemaId}) at ${invalidPaths(type, value).join(', ') || 'an unknown path'}: ${(err as Error).message}`);
        }
      };
      // The id may have moved on while the type was fetched (a schema registered meanwhile): cache only a current one.
      if (ids.get(spec.name) === schemaId) encoders.set(spec.name, encode as (value: never) => Buffer);
      return encode;
    },
    decodeNow<T>(buffer: Buffer, spec?: TopicSpec<T>): T | undefined {
      const id = schemaIdOf(buffer);
      if (id === null) throw new RegistryError('schema_unknown', `Message encoded with magic byte ${buffer[0]}, expected 0 and a 4-byte schema id.`);
      const writer = known.get(id);
      if (!writer) return undefined;
      const payload = avroBodyOf(buffer);
      // A corrupted block count would make avsc fill an array until V8 ends the process: checked first.
      checkAvroBody(writer.schema, payload);
      if (!spec) return writer.type.fromBuffer(payload) as T;
      const { type: reader, resolvers } = readerOf(spec);
      let resolver = resolvers.get(id);
      if (resolver === undefined) resolvers.set(id, (resolver = reader.equals(writer.type) ? null : reader.createResolver(writer.type)));
      return (resolver ? reader.fromBuffer(payload, resolver) : reader.fromBuffer(payload)) as T;
    },
    async decode<T>(buffer: Buffer, spec?: TopicSpec<T>) {
      const now = registry.decodeNow(buffer, spec);
      if (now !== undefined) return now;
      await writerType(schemaIdOf(buffer)!);
      return registry.decodeNow(buffer, spec) as T;
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
