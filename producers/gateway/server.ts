import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Kafka } from 'kafkajs';
import { WebSocketServer } from 'ws';
import { HARDWARE_CLASSES, ROUTED_PARTITIONS } from '../../topics/catalog';
import { createTypedProducer, type TypedProducer } from '../../topics/codec';
import type { Registry } from '../../topics/registry';
import { createRoutingTable } from '../../stream-processors/routing/partitioner';
import { createBatchingSender } from '../../topics/batching-sender';
import { createWriteCoalescer } from './write-coalescer';
import type { Catalog } from './runtime-catalog';
import { handleEditorSocket } from './editor-socket';
import { createSessionRecovery, scanAllPartitions } from './session-recovery';
import { historyApi } from './history-api';
import { ApiError } from './errors';
import { methodNotAllowed } from './method-table';
import { createGatewayMetrics } from './metrics';
import { handlePistonConnect, pistonApi } from './piston-api';
import { createRateLimiter } from './rate-limiter';
import { clientKey } from './client-key';
import { createOpenCounter, guardServer, rawRefusal } from './client-limits';
import { restApi } from './rest-api';
import { createRunRouter } from './run-router';
import { createAdmission } from './admission';
import { createRunService } from './run-service';
import { executorPresence } from './executor-presence';
import { createSessionStore } from './sessions';
import { createCollabHub } from './collab-hub';
import { framePolicy } from './frame-policy';
import { linksApi } from './links-api';
import { operatorApi } from './operator-api';
import { createLinkStore } from './share-links';
import type { GatewaySettings } from './settings';
import type { Logger } from '../../topics/ground/logger';
import type { OperatorToken } from '../../topics/ground/operator-token';

export interface GatewayDeps {
  kafka: Kafka;
  registry: Registry;
  catalog: Catalog;
  settings: GatewaySettings;
  logger: Logger;
  /** What the operator endpoints (/api/ops/…) require. */
  operatorToken: OperatorToken;
  gatewayId?: string;
  /** The key collaboration links' tokens are made with; every gateway of a deployment needs the same one. */
  collabKey: string;
  /** Extra routes mounted before the 404 handler (the editor page, …). */
  mount?: (app: express.Express) => void;
}

/**
 * The gateway: one address for the editor WebSocket, the REST and Piston
 * APIs, health, metrics, and (proxied to the analytics service) the stats API
 * and dashboard. Handlers only translate; runs go through the run service.
 */
export function createGateway(deps: GatewayDeps) {
  const { kafka, registry, catalog, settings, logger } = deps;
  const gatewayId = deps.gatewayId ?? `gw-${randomUUID().slice(0, 8)}`;
  const metrics = createGatewayMetrics();
  const limiter = createRateLimiter();
  const routing = createRoutingTable(ROUTED_PARTITIONS, settings.ROUTING_WEIGHTS);
  const sessions = createSessionStore({ routing, settings });
  const hub = createCollabHub();
  const recovery = createSessionRecovery(scanAllPartitions(kafka, registry, (snap) => routing.partitionOf(snap.dependencySet, snap.sessionId)), { onScan: (n) => metrics.snapshotScan(n) });
  let producer: TypedProducer;
  /** A second connection: a run request does not wait behind a batch of edits on the wire (batching-sender.ts). */
  let sideProducer: TypedProducer;
  let server: http.Server;
  let wss: WebSocketServer;

  return {
    gatewayId,
    async start(): Promise<{ url: string; port: number }> {
      [producer, sideProducer] = await Promise.all([createTypedProducer(kafka, registry), createTypedProducer(kafka, registry)]);
      const sender = createBatchingSender(producer, registry, { side: sideProducer.raw.sendBatch.bind(sideProducer.raw) });
      const router = createRunRouter({ kafka, registry, sender, gatewayId, remember: settings.RESULTS_REMEMBERED, logger, deadlineMs: settings.RUN_RESULT_DEADLINE_MS });
      const admission = createAdmission({
        kafka, registry, gatewayId, logger,
        options: { maxWaitMs: settings.ADMISSION_MAX_WAIT_MS, staleMs: settings.ADMISSION_STALE_MS },
        onLoad: (load) => router.queued(load),
      });
      metrics.watchQueues(() => admission.view.reports(Date.now()));
      // A class with a fresh executors.load report is live without asking the broker (executor-presence.ts).
      const presence = executorPresence(kafka, HARDWARE_CLASSES, () => admission.view.reports(Date.now()).map((l) => l.hardwareClass));
      await Promise.all([router.start(), presence.start(), admission.start()]);
      const links = createLinkStore({ kafka, registry, producer: () => producer, gatewayId, logger });
      await links.start();
      const runs = createRunService({ catalog, sessions, router, settings, gatewayId, presence, admission: admission.view });

      const app = express();
      app.disable('x-powered-by');
      app.set('trust proxy', 'loopback');
      app.use(framePolicy());
      // JSON bodies are read whatever they are labelled or not labelled (clients such as piston-client send none or text/plain); others are refused by the handlers' schemas.
      app.use(express.json({ limit: settings.MAX_MESSAGE_BYTES, type: (req) => !/^multipart\/|^application\/x-www-form-urlencoded/i.test(String(req.headers['content-type'] ?? '')) }));
      app.use((req, res, next) => {
        res.on('finish', () => metrics.http.inc({ route: req.route?.path ?? req.path.split('/').slice(0, 4).join('/'), status: String(res.statusCode) }));
        next();
      });
      app.get('/healthz', (_req, res) => {
        res.json({ status: 'ok', gatewayId, sessions: sessions.size(), pendingRuns: router.pending(), executors: presence.classes() });
      });
      app.get('/metrics', async (_req, res) => {
        res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
      });
      app.use('/api/v1', historyApi({ kafka, registry, routing, sessions }));
      app.use('/api/v1/links', linksApi({ catalog, links, limiter, settings }));
      app.use('/api/v1', restApi({ catalog, runs, router, limiter, settings, liveClasses: presence.classes }));
      app.use('/api/v2', pistonApi({ catalog, runs, limiter, settings }));
      app.use('/api/ops', operatorApi({ kafka, catalog, token: deps.operatorToken, liveClasses: presence.classes, executorReports: () => admission.view.reports(Date.now()) }));
      // The analytics service owns ClickHouse; the gateway forwards its pages.
      app.use(['/api/stats', '/dashboard'], async (req, res) => {
        const target = `${settings.ANALYTICS_URL}${req.originalUrl}`;
        try {
          const upstream = await fetch(target, { signal: AbortSignal.timeout(15000) });
          res.status(upstream.status);
          upstream.headers.forEach((v, k) => {
            if (!['content-encoding', 'transfer-encoding', 'connection', 'content-length'].includes(k)) res.setHeader(k, v);
          });
          res.send(Buffer.from(await upstream.arrayBuffer()));
        } catch {
          throw new ApiError(503, 'analytics_unavailable', 'The analytics service is not reachable; start it with `npm start` or check ANALYTICS_URL.');
        }
      });
      deps.mount?.(app);
      app.use(methodNotAllowed());
      app.use((_req, _res, next) => next(new ApiError(404, 'not_found', 'No such endpoint; see docs/openapi.yaml.')));
      app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
        const e = err as ApiError & { type?: string; status?: number };
        let api: ApiError;
        if (err instanceof ApiError) api = err;
        else if (e.type === 'entity.too.large') api = new ApiError(413, 'request_too_large', `The request body is larger than ${settings.MAX_MESSAGE_BYTES} bytes.`);
        else if (e.type === 'entity.parse.failed') api = new ApiError(400, 'malformed_json', 'The request body is not valid JSON.');
        // The client went away (or its body was too slow and it got a 408 on the socket): nobody to answer.
        else if (e.type === 'request.aborted' || req.socket.destroyed) return;
        // The body reader's other refusals (an unsupported charset or content-encoding, a length that lies): the client's fault.
        else if (typeof e.type === 'string' && typeof e.status === 'number' && e.status >= 400 && e.status < 500) api = new ApiError(e.status, e.type.replace(/\./g, '_'), `The request body cannot be read: ${(err as Error).message}.`);
        else {
          logger.error({ err: (err as Error).stack, path: req.path }, 'unhandled gateway error');
          api = new ApiError(500, 'internal_error', 'The gateway failed to handle the request.');
        }
        if (api.retryAfterS) res.setHeader('Retry-After', String(api.retryAfterS));
        // Piston clients read a top-level message.
        if (req.originalUrl.startsWith('/api/v2/')) res.status(api.status).json({ message: api.message });
        else res.status(api.status).json(api.toJSON());
      });

      // Deadlines are checked this often (Node's default, 30 s, would let a slow client hold on far past them).
      server = http.createServer({ connectionsCheckingInterval: Math.min(1000, settings.HEADERS_TIMEOUT_MS) }, app);
      guardServer(server, settings, (code) => metrics.refusals.inc({ code }));
      const sockets = createOpenCounter(settings.MAX_SOCKETS_PER_CLIENT);
      wss = new WebSocketServer({ noServer: true, maxPayload: settings.MAX_MESSAGE_BYTES });
      const coalescer = createWriteCoalescer();
      server.on('upgrade', (req, socket, head) => {
        const path = (req.url ?? '').split('?')[0];
        if (path !== '/ws/editor' && path !== '/api/v2/connect') {
          socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
          return;
        }
        const apiKey = req.headers['x-api-key'];
        const client = clientKey(Array.isArray(apiKey) ? apiKey[0] : apiKey, req.socket.remoteAddress);
        if (!sockets.acquire(client)) {
          metrics.refusals.inc({ code: 'too_many_sockets' });
          return rawRefusal(socket, 429, 'too_many_sockets', `At most ${settings.MAX_SOCKETS_PER_CLIENT} WebSockets per client are open at once; close one and try again.`, { 'Retry-After': '5' });
        }
        // Released when the TCP socket closes, whether or not the handshake completed.
        socket.once('close', () => sockets.release(client));
        wss.handleUpgrade(req, socket, head, (ws) => {
          const kind = path === '/ws/editor' ? 'editor' : 'piston';
          metrics.sockets.inc({ kind });
          ws.on('close', () => metrics.sockets.dec({ kind }));
          if (kind === 'editor') handleEditorSocket(ws, client, { sender, catalog, sessions, recovery, runs, router, limiter, settings, metrics, hub, collabKey: deps.collabKey, coalescer }, socket);
          else handlePistonConnect(ws, client, { catalog, runs, router, settings, coalescer }, socket);
        });
      });
      await new Promise<void>((resolve) => server.listen(settings.GATEWAY_PORT, settings.GATEWAY_HOST, resolve));
      const port = (server.address() as AddressInfo).port;
      this.stop = async () => {
        await presence.stop();
        await admission.stop();
        for (const c of wss.clients) c.terminate();
        await new Promise<void>((r) => server.close(() => r()));
        await router.stop();
        await links.stop();
        await Promise.all([producer.disconnect(), sideProducer.disconnect()]);
      };
      return { url: `http://${settings.GATEWAY_HOST}:${port}`, port };
    },
    stop: async () => {},
  };
}
export type Gateway = ReturnType<typeof createGateway>;
