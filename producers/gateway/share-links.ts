import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { topics } from '../../topics/catalog';
import type { TypedProducer } from '../../topics/codec';
import { liveConsumerConfig } from '../../topics/consumer-retry';
import { decodeConsumed } from '../../topics/decode-consumed';
import { runKeptAlive } from '../../topics/keep-running';
import { silentLogger, type Logger } from '../../topics/ground/logger';
import type { Registry } from '../../topics/registry';
import type { ShareLink } from '../../topics/types';

/**
 * Shared editor states (/z/<id>) on the compacted editor.links topic, with
 * an in-memory index in every gateway: the gateway reads the whole topic at
 * start (the index is ready once it reached the end offsets) and follows it,
 * so a link made on one gateway opens on every other, and survives restarts.
 * A lookup is a Map get. Deleting writes a tombstone.
 */
export type LinkState = Omit<ShareLink, 'linkId' | 'createdAtMs' | 'deleteTokenHashes'>;

/** The id is derived from the state alone: the same state always gets the same id. */
export function linkIdOf(s: LinkState): string {
  const canonical = JSON.stringify([s.language, s.languageVersion, s.dependencySet, s.hardwareClass, s.files.map((f) => [f.name, f.content]), s.stdin, s.args, s.compilerFlags]);
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 12);
}

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export function tokenMatches(token: string, hashes: string[]): boolean {
  const mine = Buffer.from(hashToken(token), 'hex');
  return hashes.some((h) => {
    const theirs = Buffer.from(h, 'hex');
    return theirs.length === mine.length && timingSafeEqual(theirs, mine);
  });
}

/** At most this many creators' tokens are kept per link (the oldest goes first). */
const MAX_TOKENS = 16;

export function createLinkStore(deps: {
  kafka: Kafka; registry: Registry; producer: () => TypedProducer; gatewayId: string; catchUpMs?: number;
  /** How long one decode waits for a registry that cannot be reached before the record is read again (15 s unless given). */
  decodeDeadlineMs?: number;
  logger?: Pick<Logger, 'error'>;
}) {
  const { kafka, registry } = deps;
  const index = new Map<string, ShareLink>();
  const consumer = kafka.consumer(liveConsumerConfig(`conveyor-links-${deps.gatewayId}-${randomUUID().slice(0, 8)}`));
  const admin = kafka.admin();
  /** Offsets seen per partition: a write waits until its own record is in the index. */
  const seen = new Map<number, number>();
  const waiters: { partition: number; offset: number; resolve: () => void }[] = [];
  let stopping = false;

  function applied(partition: number, offset: number) {
    seen.set(partition, offset);
    for (const w of [...waiters]) {
      if (w.partition === partition && offset >= w.offset) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  }

  function waitFor(partition: number, offset: number, ms: number): Promise<void> {
    if ((seen.get(partition) ?? -1) >= offset) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      waiters.push({ partition, offset, resolve: () => (clearTimeout(t), resolve()) });
    });
  }

  async function write(key: string, value: ShareLink | null) {
    const p = deps.producer();
    const [meta] = value
      ? await p.raw.send({ topic: topics.links.name, acks: -1, messages: [{ key, value: await registry.encode(topics.links, value) }] })
      : await p.raw.send({ topic: topics.links.name, acks: -1, messages: [{ key, value: null }] });
    await waitFor(meta!.partition, Number(meta!.baseOffset), deps.catchUpMs ?? 5000);
  }

  return {
    async start() {
      await admin.connect();
      const ends = (await admin.fetchTopicOffsets(topics.links.name)).map((o) => ({ partition: o.partition, high: Number(o.high), low: Number(o.low) }));
      await admin.disconnect();
      await consumer.connect();
      await consumer.subscribe({ topic: topics.links.name, fromBeginning: true });
      await runKeptAlive(consumer, {
        eachMessage: async ({ partition, message, heartbeat }) => {
          const key = message.key?.toString();
          if (key) {
            if (!message.value) index.delete(key);
            else {
              // A registry outage throws the record back to be read again: a link is never missing from the index.
              const d = await decodeConsumed(registry, topics.links, message, { deadlineMs: deps.decodeDeadlineMs ?? 15000, stopped: () => stopping, heartbeat });
              if (d.ok) index.set(key, d.value);
            }
          }
          applied(partition, Number(message.offset));
        },
      }, { name: 'share links', logger: deps.logger ?? silentLogger, stopped: () => stopping });
      // Ready when the index holds everything written before this gateway started.
      await Promise.all(ends.filter((e) => e.high > e.low).map((e) => waitFor(e.partition, e.high - 1, 20000)));
    },
    async stop() {
      stopping = true;
      await consumer.disconnect().catch(() => {});
    },
    get: (id: string) => index.get(id),
    size: () => index.size,
    /** Stores a state; returns its id and a new delete token for this creator. */
    async put(state: LinkState): Promise<{ link: ShareLink; deleteToken: string; created: boolean }> {
      const linkId = linkIdOf(state);
      const deleteToken = randomBytes(18).toString('base64url');
      const known = index.get(linkId);
      const link: ShareLink = { ...state, linkId, createdAtMs: known?.createdAtMs ?? Date.now(), deleteTokenHashes: [...(known?.deleteTokenHashes ?? []), hashToken(deleteToken)].slice(-MAX_TOKENS) };
      await write(linkId, link);
      return { link, deleteToken, created: !known };
    },
    async remove(linkId: string): Promise<void> {
      await write(linkId, null);
    },
  };
}
export type LinkStore = ReturnType<typeof createLinkStore>;
