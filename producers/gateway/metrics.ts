import client from 'prom-client';
import type { ExecutorLoad } from '../../topics/types';

/** Prometheus metrics of one gateway process, served at /metrics. */
export function createGatewayMetrics() {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'conveyor_gateway_' });
  const edits = new client.Counter({ name: 'conveyor_edits_total', help: 'Edit events accepted', registers: [registry] });
  const editAck = new client.Histogram({ name: 'conveyor_edit_ack_ms', help: 'Edit receipt to acknowledgement (produce acked by Kafka), ms', buckets: [0.5, 1, 2, 5, 10, 20, 50, 100, 250], registers: [registry] });
  const http = new client.Counter({ name: 'conveyor_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['route', 'status'], registers: [registry] });
  const scans = new client.Counter({ name: 'conveyor_snapshot_scans_total', help: 'Scans of programs.snapshots to rebuild sessions this gateway did not hold', registers: [registry] });
  const scannedFor = new client.Counter({ name: 'conveyor_snapshot_scan_sessions_total', help: 'Sessions looked up by those scans', registers: [registry] });
  const sockets = new client.Gauge({ name: 'conveyor_websockets_open', help: 'Open WebSocket connections', labelNames: ['kind'], registers: [registry] });
  const refusals = new client.Counter({ name: 'conveyor_client_refusals_total', help: 'Connections and requests refused by the per-client limits and slow-client deadlines, by code', labelNames: ['code'], registers: [registry] });
  // Executors' queues as their latest executors.load reports tell them (read when scraped).
  let reports: () => ExecutorLoad[] = () => [];
  const perExecutor = (name: string, help: string, value: (l: ExecutorLoad) => number) =>
    new client.Gauge({
      name, help, labelNames: ['executor', 'hardware_class', 'scheduler'], registers: [registry],
      collect() {
        this.reset();
        for (const l of reports()) this.set({ executor: l.executorId, hardware_class: l.hardwareClass, scheduler: l.scheduler }, value(l));
      },
    });
  perExecutor('conveyor_executor_queue_depth', 'Runs waiting for a slot, per executor', (l) => l.queued);
  perExecutor('conveyor_executor_backlog', 'Requests of the executor\'s partitions still in Kafka (behind its full queue), per executor', (l) => l.backlog ?? 0);
  perExecutor('conveyor_executor_running', 'Runs in slots, per executor', (l) => l.running);
  perExecutor('conveyor_executor_queued_work_ms', 'Predicted slot time of the queued runs, per executor', (l) => l.queuedWorkMs);
  perExecutor('conveyor_executor_expected_wait_ms', 'Expected wait of a run queued now behind all others, per executor', (l) => Math.max(0, l.drainMs - (Date.now() - l.timestampMs)));
  const perClass = (name: string, help: string, value: (l: ExecutorLoad) => number) =>
    new client.Gauge({
      name, help, labelNames: ['hardware_class'], registers: [registry],
      collect() {
        this.reset();
        const by = new Map<string, number>();
        for (const l of reports()) by.set(l.hardwareClass, (by.get(l.hardwareClass) ?? 0) + value(l));
        for (const [hardware_class, n] of by) this.set({ hardware_class }, n);
      },
    });
  perClass('conveyor_queue_depth', 'Runs waiting for a slot, per hardware class', (l) => l.queued);
  perClass('conveyor_backlog', 'Requests still in Kafka behind full executor queues, per hardware class', (l) => l.backlog ?? 0);
  return {
    registry,
    watchQueues: (f: () => ExecutorLoad[]) => {
      reports = f;
    },
    sockets,
    refusals,
    http,
    edits: (n: number) => edits.inc(n),
    editAckMs: (ms: number) => editAck.observe(ms),
    snapshotScan: (sessions: number) => {
      scans.inc();
      scannedFor.inc(sessions);
    },
  };
}
export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;
