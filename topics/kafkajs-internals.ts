import fs from 'node:fs';
import { createRequire } from 'node:module';

/**
 * The kafkajs 2.2.4 internals that the pinned request writers
 * (kafkajs-produce-fix.ts, kafkajs-fetch-fix.ts) hand their bytes to: its
 * `Encoder` (whose buffer and offset they fill) and its `Long`. Not part of
 * kafkajs's typed API, so they are typed here once.
 */
export interface EncoderLike {
  buf: Buffer;
  offset: number;
}
export interface LongLike {
  getHighBits(): number;
  getLowBits(): number;
}

/** Loads a kafkajs module by its path inside the package. */
export const loadKafkajs = createRequire(__filename);
export const Encoder = loadKafkajs('kafkajs/src/protocol/encoder') as new () => EncoderLike;
export const Long = loadKafkajs('kafkajs/src/utils/long') as { fromValue(v: unknown): LongLike; fromInt(v: number): LongLike };

/** A Kafka protocol string (int16 length, then UTF-8) written at `at`; returns the offset after it. */
export function writeString(buf: Buffer, at: number, s: string): number {
  const n = Buffer.byteLength(s, 'utf8');
  at = buf.writeInt16BE(n, at);
  return at + buf.write(s, at, n, 'utf8');
}

/** A kafkajs request module (`kafkajs/src/protocol/requests/<name>`): a protocol per API version. */
export type KafkaRequest = { apiKey: number; apiVersion: number; encode: () => Promise<unknown> };
export type RequestModule<A> = { protocol: (o: { version: number }) => (args: A) => { request: KafkaRequest; response: unknown } };

/**
 * Makes `module`'s requests of the versions `takes` accepts write their body
 * with `body` (null: kafkajs's own encoder writes that one), handed to kafkajs
 * as a filled `Encoder`; every other version stays kafkajs's. Installs once:
 * a module whose protocol is no longer `original` is left as it is.
 */
export function replaceRequestBody<A>(module: RequestModule<A>, original: RequestModule<A>['protocol'], takes: (version: number) => boolean, body: (args: A) => Buffer | null): void {
  if (module.protocol !== original) return;
  module.protocol = ({ version }) => {
    const make = original({ version });
    if (!takes(version)) return make;
    return (args) => {
      const made = make(args);
      const encode = made.request.encode;
      made.request.encode = async () => {
        const buf = body(args);
        if (!buf) return encode();
        const e = new Encoder();
        e.buf = buf;
        e.offset = buf.length;
        return e;
      };
      return made;
    };
  };
}

/**
 * Every fix in topics/kafkajs-*-fix.ts replaces internals of one kafkajs version: it refuses to
 * install on another one, with `refusal(installed)` saying what to check.
 */
export function requirePinnedKafkajs(refusal: (installed: string) => string): void {
  const { version } = loadKafkajs('kafkajs/package.json') as { version: string };
  if (version !== '2.2.4') throw new Error(refusal(version));
}

let patched = false;
const readInstalled = (file: string) => fs.readFileSync(loadKafkajs.resolve(file), 'utf8');
/**
 * patches/kafkajs+2.2.4.patch (patch-package, run by npm at postinstall) must be in place: without
 * it a produce retried after a leader's death can resolve without some of its partitions
 * (kafkajs issue 1303), that is lose acknowledged records, and an admin asking for the offsets of a
 * partition created moments ago fails (KRaft: NOT_LEADER_OR_FOLLOWER). Refuses to go on without it.
 */
export function requirePatchedKafkajs(read: (file: string) => string = readInstalled): void {
  if (patched && read === readInstalled) return;
  // Each file the patch changes carries its mark: a package patched by an older version of the patch is refused too.
  for (const [file, without] of [
    ['kafkajs/src/producer/sendMessages', 'a retried produce can lose acknowledged records'],
    ['kafkajs/src/admin/index', "an admin's offsets of a partition whose leader is not ready fail instead of being retried"],
  ] as const) {
    if (!read(file).includes('Conveyor patch (patches/kafkajs+2.2.4.patch')) {
      throw new Error(`kafkajs is not patched: run \`npm install\` (its postinstall applies patches/kafkajs+2.2.4.patch with patch-package); without it ${without}.`);
    }
  }
  patched = read === readInstalled;
}
