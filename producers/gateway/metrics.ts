import client from 'prom-client';

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
  return {
    registry,
    sockets,
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
