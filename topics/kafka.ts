import net from 'node:net';
import { Kafka, logLevel, type ISocketFactory, type KafkaConfig, type RetryOptions } from 'kafkajs';
import { fixKafkajsIdleLoop } from './kafkajs-idle-fix';
import { fixKafkajsEncoder } from './kafkajs-encoder-fix';
import { fixKafkajsProduce } from './kafkajs-produce-fix';
import { fixKafkajsFetch } from './kafkajs-fetch-fix';
import { fixKafkajsEmptyBatches } from './kafkajs-empty-batches-fix';
import { fixKafkajsFetchResponse } from './kafkajs-fetch-response-fix';
import { fixKafkajsReadReplica } from './kafkajs-read-replica-fix';
import { requirePatchedKafkajs } from './kafkajs-internals';

// Before any client: every connection's request queue otherwise spins a 1 ms timer for ever.
fixKafkajsIdleLoop();
// And every record it produces would cost several zero-filled buffers.
fixKafkajsEncoder();
// And a produce request's body would cost an encoder per record, batch and partition.
fixKafkajsProduce();
// And a consumer's every fetch would cost an encoder and two BigInt parses per partition.
fixKafkajsFetch();
// And its runner would queue a batch for each of those partitions, records or not.
fixKafkajsEmptyBatches();
// And decoding the answer would cost promises and BigInts for each of those partitions.
fixKafkajsFetchResponse();
// And choosing the broker of each partition before every fetch would copy its whole answer per partition.
fixKafkajsReadReplica();
// And a produce retried after a leader's death could leave partitions out (patches/kafkajs+2.2.4.patch).
requirePatchedKafkajs();

/**
 * kafkajs's own socket factory leaves Nagle's algorithm on, so a request written
 * while another is unanswered on the same connection (a heartbeat or commit
 * beside a long-polling fetch) waits for the broker's delayed ACK.
 */
const socketFactory: ISocketFactory = ({ host, port, onConnect }) => {
  const socket = net.connect({ host, port, noDelay: true }, onConnect);
  socket.setKeepAlive(true, 60_000);
  return socket;
};

/**
 * The client's retry, for requests outside a consumer's run (a consumer has its own: consumer-retry.ts):
 * from 100 ms, doubling with 20% jitter, 8 retries, ~25 s in all. Every field is given: kafkajs fills
 * the missing ones from its defaults, which are other ones under NODE_ENV=test (jest's), where the
 * same policy gave up after ~4 s, so the tests exercised a client the service never runs.
 */
export const CLIENT_RETRY = { initialRetryTime: 100, maxRetryTime: 30000, multiplier: 2, factor: 0.2, retries: 8 } as const satisfies RetryOptions;

/** One kafkajs client per process, tuned for a broker on loopback or a LAN. */
export function createKafka(brokers: string[], clientId: string, extra: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({
    clientId,
    brokers,
    connectionTimeout: 3000,
    requestTimeout: 30000,
    retry: CLIENT_RETRY,
    logLevel: logLevel.ERROR,
    socketFactory,
    ...extra,
  });
}
