import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';
import { fixKafkajsIdleLoop } from './kafkajs-idle-fix';

// Before any client: every connection's request queue otherwise spins a 1 ms timer for ever.
fixKafkajsIdleLoop();

/** One kafkajs client per process, tuned for a broker on loopback or a LAN. */
export function createKafka(brokers: string[], clientId: string, extra: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({
    clientId,
    brokers,
    connectionTimeout: 3000,
    requestTimeout: 30000,
    retry: { initialRetryTime: 100, retries: 8 },
    logLevel: logLevel.ERROR,
    ...extra,
  });
}
