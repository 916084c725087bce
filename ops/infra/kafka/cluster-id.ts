import { randomBytes } from 'node:crypto';

/**
 * A KRaft cluster id, as Kafka's own `Uuid.randomUuid()` makes one: 16 random
 * bytes in base64url without padding, drawn again when the text would start
 * with "-" (1 in 64 ids), which `kafka-storage format -t` reads as an option
 * and refuses, so the broker never starts.
 */
export function newClusterId(random: (n: number) => Buffer = randomBytes): string {
  for (;;) {
    const id = random(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}
