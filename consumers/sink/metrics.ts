import { Counter, Gauge, Registry } from 'prom-client';

/** Prometheus metrics of one sink, in a registry of its own so several sinks (tests) can coexist. */
export function createSinkMetrics(registry: Registry = new Registry()) {
  return {
    registry,
    lag: new Gauge({ name: 'conveyor_sink_lag_records', help: 'Records on the broker not yet committed by the sink', labelNames: ['topic'], registers: [registry] }),
    buffered: new Gauge({ name: 'conveyor_sink_buffered_rows', help: 'Rows waiting for the next insert', registers: [registry] }),
    clickhouseUp: new Gauge({ name: 'conveyor_sink_clickhouse_up', help: '1 when the last insert succeeded, 0 while retrying', registers: [registry] }),
    inserted: new Counter({ name: 'conveyor_sink_rows_inserted_total', help: 'Rows inserted into ClickHouse', labelNames: ['table'], registers: [registry] }),
    skipped: new Counter({ name: 'conveyor_sink_rows_skipped_total', help: 'Redelivered records already loaded', labelNames: ['topic'], registers: [registry] }),
    deadLetters: new Counter({ name: 'conveyor_sink_dead_letters_total', help: 'Records sent to runs.dlq', labelNames: ['code'], registers: [registry] }),
    retries: new Counter({ name: 'conveyor_sink_insert_retries_total', help: 'Failed insert attempts that were retried', registers: [registry] }),
  };
}
export type SinkMetrics = ReturnType<typeof createSinkMetrics>;
