import { loadSchema } from '../topics/catalog';
import { specOf, type AnalyticsTable } from './rows';

/**
 * The same rows as rows.ts, built by ClickHouse from Avro instead of by
 * JavaScript from decoded records. The sink hands ClickHouse the Kafka values
 * untouched, framed as an Avro container file whose writer schema is the
 * record's own with the Kafka origin spliced in front:
 *
 *   { kafka_offset: long, kafka_partition: int, ...fields of the record }
 *
 * A record's Avro encoding is the concatenation of its fields', so each datum
 * is two varints and the Kafka value after its 5-byte Confluent prefix: no
 * JavaScript ever decodes it. ClickHouse's Avro reader is binary and
 * multi-threaded; the SELECT below turns the fields into the table's columns.
 *
 * The expressions mirror rows.ts exactly (a test loads the same records both
 * ways and compares every column). A field the writer schema lacks takes the
 * reader schema's default, as Avro schema resolution would; a record the SQL
 * cannot take (a bad timestamp) fails the insert through throwIf, and the
 * sink then loads that block the slow way, dead-lettering the bad records.
 */
export type AvroType = string | AvroType[] | { type: string; name?: string; fields?: AvroField[]; items?: AvroType; values?: AvroType; logicalType?: string; symbols?: string[] };
export interface AvroField { name: string; type: AvroType; default?: unknown }
export interface AvroRecord { type: 'record'; name: string; namespace?: string; fields: AvroField[] }

export class UnsupportedSchema extends Error {}

/** Avro full name of a record schema ("dev.conveyor.RunResult"). */
export const fullName = (s: { name: string; namespace?: string }) => (s.name.includes('.') || !s.namespace ? s.name : `${s.namespace}.${s.name}`);

/** The ClickHouse type the Avro input format reads an Avro type into. */
function clickhouseType(t: AvroType, named: Map<string, AvroType>): string {
  if (typeof t === 'string') {
    const prim: Record<string, string> = { string: 'String', bytes: 'String', int: 'Int32', long: 'Int64', boolean: 'Bool', float: 'Float32', double: 'Float64' };
    if (prim[t]) return prim[t]!;
    const ref = named.get(t);
    if (ref === undefined) throw new UnsupportedSchema(`unknown Avro type ${t}`);
    return clickhouseType(ref, named);
  }
  if (Array.isArray(t)) {
    const other = t.filter((x) => x !== 'null');
    if (other.length !== 1) throw new UnsupportedSchema('unions other than [null, T] are not supported');
    const inner = clickhouseType(other[0]!, named);
    // ClickHouse has no Nullable(Array); the reader loads a null array as empty.
    return other.length < t.length && !inner.startsWith('Array(') ? `Nullable(${inner})` : inner;
  }
  switch (t.type) {
    case 'record': {
      named.set(t.name!, t);
      return `Tuple(${t.fields!.map((f) => `${quoteIdent(f.name)} ${clickhouseType(f.type, named)}`).join(', ')})`;
    }
    case 'enum':
      named.set(t.name!, t);
      return 'String';
    case 'array':
      return `Array(${clickhouseType(t.items!, named)})`;
    case 'map':
      return `Map(String, ${clickhouseType(t.values!, named)})`;
    case 'long':
      if (t.logicalType === 'timestamp-millis') return "DateTime64(3, 'UTC')";
      return 'Int64';
    default:
      return clickhouseType(t.type, named);
  }
}

const quoteIdent = (s: string) => {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(s)) throw new UnsupportedSchema(`field name ${JSON.stringify(s)} is not a plain identifier`);
  return `\`${s}\``;
};

/** The envelope's writer schema: the Kafka origin, then the record's own fields. */
export function envelopeSchema(writer: AvroRecord): AvroRecord {
  return {
    type: 'record',
    name: writer.name,
    namespace: writer.namespace,
    fields: [{ name: 'kafka_offset', type: 'long' }, { name: 'kafka_partition', type: 'int' }, ...writer.fields],
  };
}

/** The `structure` argument of file(..., 'Avro', structure) for an envelope. */
export function structureOf(writer: AvroRecord): string {
  const named = new Map<string, AvroType>();
  return envelopeSchema(writer).fields.map((f) => `${quoteIdent(f.name)} ${clickhouseType(f.type, named)}`).join(', ');
}

function sqlLiteral(v: unknown): string {
  if (v === null) return 'NULL';
  if (typeof v === 'string') return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v) && v.length === 0) return '[]';
  throw new UnsupportedSchema(`default ${JSON.stringify(v)} has no SQL literal here`);
}

const U32 = (e: string) => `toUInt32(least(4294967295, greatest(0, ${e})))`;
const U16 = (e: string) => `toUInt16(least(65535, greatest(0, ${e})))`;
const ms = (f: string) => `toUnixTimestamp64Milli(${f})`;

/** Column expressions per table; {field} and {record.field} name Avro fields. */
const templates: Record<AnalyticsTable, { columns: [string, string][] }> = {
  runs: {
    columns: [
      ['run_id', '{runId}'],
      ['session_id', '{sessionId}'],
      ['user_id', '{userId}'],
      ['source', '{source}'],
      ['language', '{language}'],
      ['language_version', '{languageVersion}'],
      ['dependency_set', '{dependencySet}'],
      ['hardware_class', '{hardwareClass}'],
      ['executor_id', '{executorId}'],
      ['program_version', U32('{programVersion}')],
      ['status', '{status}'],
      ['requested_at', '{requestedAtMs}'],
      ['started_at', '{startedAtMs}'],
      ['finished_at', '{finishedAtMs}'],
      ['queue_wait_ms', U32(`${ms('{startedAtMs}')} - ${ms('{requestedAtMs}')}`)],
      ['latency_ms', U32(`${ms('{finishedAtMs}')} - ${ms('{requestedAtMs}')}`)],
      ['compiled', '{compile} IS NOT NULL'],
      ['executed', '{run} IS NOT NULL'],
      ['compile_ms', U32('ifNull({compile.wallMs}, 0)')],
      ['run_ms', U32('ifNull({run.wallMs}, 0)')],
      ['cpu_ms', U32('ifNull({compile.cpuMs}, 0) + ifNull({run.cpuMs}, 0)')],
      ['peak_memory_bytes', 'toUInt64(greatest(0, ifNull({compile.peakMemoryBytes}, 0), ifNull({run.peakMemoryBytes}, 0)))'],
      ['cache_hit', '{cacheHit}'],
      ['pooled', '{pooled}'],
      ['source_bytes', U32('{sourceBytes}')],
      ['file_count', U16('{fileCount}')],
      ['stdout_bytes', U32("length(ifNull({run.stdout}, ''))")],
      ['stderr_bytes', U32("length(ifNull({run.stderr}, '')) + length(ifNull({compile.stderr}, ''))")],
      ['attempt', U16('{attempt}')],
      ['scheduler', '{scheduler}'],
      ['slot_wait_ms', `if({queuedAtMs} > 0, ${U32(`${ms('{startedAtMs}')} - {queuedAtMs}`)}, toUInt32(0))`],
      ['predicted_compile_ms', U32('{predictedCompileMs}')],
      ['predicted_run_ms', U32('{predictedRunMs}')],
      ['prediction_basis', '{predictionBasis}'],
      ['slot_ms', U32(`${ms('{finishedAtMs}')} - ${ms('{startedAtMs}')}`)],
      ['slowdown', `toFloat32((${ms('{finishedAtMs}')} - ${ms('{requestedAtMs}')}) / greatest(1, ${ms('{finishedAtMs}')} - ${ms('{startedAtMs}')}))`],
    ],
  },
  run_requests: {
    columns: [
      ['run_id', '{runId}'],
      ['session_id', '{sessionId}'],
      ['user_id', '{userId}'],
      ['requested_at', '{requestedAtMs}'],
      ['source', '{source}'],
      ['language', '{language}'],
      ['language_version', '{languageVersion}'],
      ['dependency_set', '{dependencySet}'],
      ['hardware_class', '{hardwareClass}'],
      ['program_version', U32('{programVersion}')],
      ['stdin_bytes', U32('length({stdin})')],
      ['arg_count', U16('length({args})')],
      ['compiler_flags', '{compilerFlags}'],
      ['stream_output', '{streamOutput}'],
    ],
  },
  edit_activity: {
    columns: [
      ['event_id', '{eventId}'],
      ['session_id', '{sessionId}'],
      ['user_id', '{userId}'],
      ['at', '{timestampMs}'],
      ['kind', '{kind}'],
      ['language', '{language}'],
      ['dependency_set', '{dependencySet}'],
      ['hardware_class', '{hardwareClass}'],
      ['base_version', U32('{baseVersion}')],
      ['version', U32('{version}')],
      ['op_count', U32('length({ops})')],
      // UTF-16 code units, as JavaScript's String.length counts them (and as the editor's offsets do).
      ['inserted_chars', U32("arraySum(o -> lengthUTF8(o.insert) + countMatches(o.insert, '[\\\\x{10000}-\\\\x{10FFFF}]'), {ops})")],
      ['deleted_chars', U32('arraySum(o -> o.deleteCount, {ops})')],
      ['file_count', U16('length({files})')],
      ['text_bytes', U32('{textBytes}')],
    ],
  },
  fleet_events: {
    columns: [
      ['event_id', '{eventId}'],
      ['at', '{timestampMs}'],
      ['kind', '{kind}'],
      ['hardware_class', '{hardwareClass}'],
      ['member_id', "ifNull({memberId}, '')"],
      ['state', "ifNull({state}, '')"],
      ['previous_state', "ifNull({previousState}, '')"],
      ['desired', '{desired}'],
      ['actual', '{actual}'],
      ['min', '{min}'],
      ['max', '{max}'],
      ['applied', '{applied}'],
      ['reason', '{reason}'],
      ['actor', '{actor}'],
      ['inputs_json', "ifNull({inputsJson}, '')"],
      ['manager_id', '{managerId}'],
    ],
  },
};

const timestampFields: Record<AnalyticsTable, string[]> = {
  runs: ['requestedAtMs', 'startedAtMs', 'finishedAtMs'],
  run_requests: ['requestedAtMs'],
  edit_activity: ['timestampMs'],
  fleet_events: ['timestampMs'],
};

/** Conveyor's current schema of the records a table loads: defaults for fields older writers lack. */
const readers = new Map<AnalyticsTable, AvroRecord>();
export function readerSchema(table: AnalyticsTable): AvroRecord {
  let r = readers.get(table);
  if (!r) readers.set(table, (r = loadSchema(specOf(table)) as unknown as AvroRecord));
  return r;
}

/** The record type a table loads, by Avro full name. */
export const recordOf = (table: AnalyticsTable) => fullName(readerSchema(table));

/**
 * SELECT list (and WHERE clause) turning one envelope file (writer schema `writer`) into rows of
 * `table`, with Conveyor's current schema supplying defaults for fields the
 * writer lacks. The origin topic comes in as a query parameter.
 * Throws UnsupportedSchema when the writer cannot be read this way.
 */
export function selectList(table: AnalyticsTable, writer: AvroRecord, topicParam: string): { columns: string; where: string } {
  const t = templates[table];
  if (fullName(writer) !== recordOf(table)) throw new UnsupportedSchema(`${table} loads ${recordOf(table)}, not ${fullName(writer)}`);
  const fields = new Map(writer.fields.map((f) => [f.name, f]));
  const defaults = new Map(readerSchema(table).fields.map((f) => [f.name, f]));
  const named = new Map<string, AvroRecord>();
  const collect = (ty: AvroType): void => {
    if (Array.isArray(ty)) return ty.forEach(collect);
    if (typeof ty === 'object' && ty.type === 'record') {
      named.set(ty.name!, ty as AvroRecord);
      ty.fields!.forEach((f) => collect(f.type));
    } else if (typeof ty === 'object' && ty.type === 'array') collect(ty.items!);
  };
  writer.fields.forEach((f) => collect(f.type));
  const recordType = (ty: AvroType): AvroRecord | undefined => {
    if (Array.isArray(ty)) return ty.map(recordType).find(Boolean);
    if (typeof ty === 'string') return named.get(ty);
    return ty.type === 'record' ? (ty as AvroRecord) : undefined;
  };
  const ref = (path: string): string => {
    const [top, sub] = path.split('.') as [string, string | undefined];
    const f = fields.get(top);
    if (!f) {
      const d = defaults.get(top);
      if (sub !== undefined || !d || !('default' in d)) throw new UnsupportedSchema(`the writer lacks ${path} and the reader gives no default`);
      return sqlLiteral(d.default);
    }
    if (sub === undefined) return quoteIdent(top);
    const rec = recordType(f.type);
    if (!rec?.fields.some((x) => x.name === sub)) throw new UnsupportedSchema(`the writer's ${top} has no field ${sub}`);
    return `${quoteIdent(top)}.${quoteIdent(sub)}`;
  };
  const expand = (expr: string) => expr.replace(/\{([A-Za-z_][A-Za-z0-9_.]*)\}/g, (_, p: string) => ref(p));
  const columns = t.columns.map(([col, expr]) => `${expand(expr)} AS ${col}`);
  columns.push(`{${topicParam}:String} AS kafka_topic`, 'toUInt16(kafka_partition) AS kafka_partition', 'toUInt64(kafka_offset) AS kafka_offset');
  const negative = timestampFields[table].map((f) => `${ms(expand(`{${f}}`))} < 0`).join(' OR ');
  return { columns: columns.join(',\n  '), where: `throwIf(${negative}, 'a timestamp is before 1970') = 0` };
}

export interface AvroSource { writer: AvroRecord; topic: string }

/**
 * One INSERT that reads every envelope file of a block (one per writer schema
 * and topic) with UNION ALL: a single statement, so rows of one partition are
 * never split over inserts and the sink's per-partition high-water mark stays
 * exact. File paths are left as {file<i>:String} parameters for the caller.
 */
export function avroInsert(table: AnalyticsTable, sources: AvroSource[]): { sql: string; params: Record<string, string> } {
  const params: Record<string, string> = {};
  const names = [...templates[table].columns.map(([c]) => c), 'kafka_topic', 'kafka_partition', 'kafka_offset'];
  const parts = sources.map((s, i) => {
    const { columns, where } = selectList(table, s.writer, `topic${i}`);
    params[`structure${i}`] = structureOf(s.writer);
    params[`topic${i}`] = s.topic;
    return `SELECT ${columns}\nFROM file({file${i}:String}, 'Avro', {structure${i}:String})\nWHERE ${where}`;
  });
  return { sql: `INSERT INTO ${table} (${names.join(', ')})\n${parts.join('\nUNION ALL\n')}`, params };
}
