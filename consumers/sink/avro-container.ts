import { randomBytes } from 'node:crypto';

/**
 * An Avro object container file built from datums that are already encoded:
 * the Kafka values after their Confluent prefix, each preceded by the Kafka
 * offset and partition (see analytics/avro-rows.ts, envelopeSchema). avsc
 * writes containers only from JavaScript values, which would mean decoding
 * every record first, the very cost this path exists to avoid; the framing
 * itself is a header, varints and a sync marker, so it is written here.
 */
export class AvroContainer {
  private buf = Buffer.allocUnsafe(1 << 20);
  private len = 0;
  count = 0;

  /** Appends one envelope datum: zigzag(offset), zigzag(partition), then the record's bytes. */
  add(offset: number, partition: number, datum: Buffer): void {
    this.reserve(20 + datum.length);
    this.len = writeLong(this.buf, this.len, offset);
    this.len = writeLong(this.buf, this.len, partition);
    this.len += datum.copy(this.buf, this.len);
    this.count++;
  }

  get bytes(): number {
    return this.len;
  }

  /** The whole file: header with the writer schema, one data block, sync marker. */
  toBuffer(schema: object): Buffer {
    const sync = randomBytes(16);
    const meta = new Map([
      ['avro.schema', Buffer.from(JSON.stringify(schema))],
      ['avro.codec', Buffer.from('null')],
    ]);
    let headerSize = 4 + 10 + 1 + 16;
    for (const [k, v] of meta) headerSize += 20 + k.length + v.length;
    const out = Buffer.allocUnsafe(headerSize + 20 + this.len + 16);
    let at = out.write('Obj\x01', 0, 'latin1');
    at = writeLong(out, at, meta.size);
    for (const [k, v] of meta) {
      at = writeLong(out, at, k.length);
      at += out.write(k, at, 'latin1');
      at = writeLong(out, at, v.length);
      at += v.copy(out, at);
    }
    at = writeLong(out, at, 0);
    at += sync.copy(out, at);
    at = writeLong(out, at, this.count);
    at = writeLong(out, at, this.len);
    at += this.buf.copy(out, at, 0, this.len);
    at += sync.copy(out, at);
    return out.subarray(0, at);
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }
}

/** Avro long: zigzag, then base-128 varint. Exact for |n| < 2^52 (Kafka offsets and partitions). */
export function writeLong(buf: Buffer, at: number, n: number): number {
  let v = n >= 0 ? n * 2 : -n * 2 - 1;
  while (v >= 0x80) {
    buf[at++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  buf[at++] = v;
  return at;
}
