import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import { newClusterId } from './cluster-id';
import { localBrokerPorts } from '../../../topics/ground/connections';
import { BROKER_MAX_MESSAGE_BYTES } from '../../../topics/catalog';
import { managedProcess } from '../managed-process';
import type { InfraSettings } from '../settings';

function kafkaVersion(): string {
  const pom = fs.readFileSync(path.join(__dirname, 'pom.xml'), 'utf8');
  return /<kafka\.version>([^<]+)</.exec(pom)![1]!;
}

/** True when something accepts a Kafka ApiVersions request on the port. */
export async function kafkaAnswers(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.on('error', () => done(false));
    sock.on('connect', () => {
      // ApiVersions v0 request: size, api key 18, version 0, correlation id 1, client id "hc".
      const clientId = Buffer.from('hc');
      const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length);
      body.writeInt16BE(18, 0);
      body.writeInt16BE(0, 2);
      body.writeInt32BE(1, 4);
      body.writeInt16BE(clientId.length, 8);
      clientId.copy(body, 10);
      const size = Buffer.alloc(4);
      size.writeInt32BE(body.length);
      sock.write(Buffer.concat([size, body]));
    });
    sock.on('data', (d) => done(d.length >= 8 && d.readInt32BE(4) === 1 && d.readInt16BE(8) === 0));
  });
}

/** What differs between the brokers of a local cluster: identity, ports, directory. */
interface BrokerPlace { nodeId: number; name: string; dir: string; port: number; controllerPort: number }

/**
 * The local brokers `conveyor up` runs: one node (the default, `.state/kafka`),
 * or with KAFKA_BROKERS_LOCAL=3 a KRaft cluster of three combined
 * broker+controller nodes (`.state/brokers-3/kafka-<id>`), replication factor 3,
 * min.insync.replicas 2, so a broker can die without losing an acknowledged
 * (acks=all) record. Every node is its own JVM with its own ports and data.
 */
export function kafkaBrokers(s: InfraSettings) {
  const n = s.KAFKA_BROKERS_LOCAL;
  const ports = localBrokerPorts(s.KAFKA_PORT, n);
  const places: BrokerPlace[] = n === 1
    ? [{ nodeId: 1, name: 'kafka', dir: path.join(s.stateDir, 'kafka'), port: s.KAFKA_PORT, controllerPort: s.KAFKA_CONTROLLER_PORT }]
    : ports.map((port, i) => ({ nodeId: i + 1, name: `kafka-${i + 1}`, dir: path.join(s.stateDir, `brokers-${n}`, `kafka-${i + 1}`), port, controllerPort: s.KAFKA_CONTROLLER_PORT + 2 * i }));
  const voters = places.map((p) => `${p.nodeId}@127.0.0.1:${p.controllerPort}`).join(',');
  // All nodes of a cluster are formatted with one cluster id, kept beside them.
  const clusterIdFile = path.join(n === 1 ? places[0]!.dir : path.dirname(places[0]!.dir), 'cluster.id');
  return places.map((p) => kafkaBroker(s, p, voters, clusterIdFile, n));
}

function clusterId(file: string): string {
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, newClusterId());
  }
  return fs.readFileSync(file, 'utf8').trim();
}

/**
 * The broker JVM's heap, collector and compilers. By default the JVM's own tiers (C2 takes
 * the hot paths: 10-15 s of the broker's CPU compiling in its first ~15,000 requests) and the
 * parallel collector: warm, against the quick compiler alone with G1, the broker spent
 * 13-31% less CPU per JavaScript and C++ run in alternated whole benches on a quiet host
 * (Python runs within the host's drift), and a lone hop 20 ms apart was ~0.3-0.8 ms quicker
 * (docs/decisions/bench-baselines-and-hops.md, Session 16).
 * KAFKA_JIT=c1 is cheapest in a broker's first minutes; KAFKA_GC=g1 trades more, shorter
 * pauses (20 ms goal) for more CPU.
 */
export function brokerJvmOptions(s: Pick<InfraSettings, 'KAFKA_HEAP' | 'KAFKA_JIT' | 'KAFKA_GC'>): string[] {
  const gc = s.KAFKA_GC === 'g1' ? ['-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20'] : ['-XX:+UseParallelGC'];
  return [`-Xms${s.KAFKA_HEAP}`, `-Xmx${s.KAFKA_HEAP}`, ...gc, ...(s.KAFKA_JIT === 'c1' ? ['-XX:TieredStopAtLevel=1'] : [])];
}

function kafkaBroker(s: InfraSettings, place: BrokerPlace, voters: string, clusterIdFile: string, clusterSize: number) {
  const { dir } = place;
  const libs = path.join(s.cacheDir, `kafka-${kafkaVersion()}`, 'libs');
  const dataDir = path.join(dir, 'data');
  const classpath = `${libs}/*`;
  return managedProcess({
    name: place.name,
    dir,
    command: 'java',
    args: [
      ...brokerJvmOptions(s),
      `-Dlog4j.configuration=file:${path.join(dir, 'log4j.properties')}`, `-Dconveyor.dir=${dir}`,
      '-cp', classpath, 'kafka.Kafka', path.join(dir, 'server.properties'),
    ],
    startTimeoutMs: s.INFRA_START_TIMEOUT_MS,
    healthy: () => kafkaAnswers('127.0.0.1', place.port),
    async prepare() {
      if (!fs.existsSync(libs)) throw new Error(`Kafka jars missing at ${libs}: run "npm run setup" first.`);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'server.properties'), serverProperties(place, voters, dataDir, clusterSize));
      fs.writeFileSync(path.join(dir, 'log4j.properties'), LOG4J);
      if (!fs.existsSync(path.join(dataDir, 'meta.properties'))) {
        execFileSync('java', ['-cp', classpath, 'kafka.tools.StorageTool', 'format', `--cluster-id=${clusterId(clusterIdFile)}`, '-c', path.join(dir, 'server.properties')], { stdio: 'ignore' });
      }
    },
  });
}

const LOG4J = `log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.log.LogCleaner=WARN
`;

/**
 * Tuned for interactive latency: fast group joins; in a cluster, a dead broker
 * is fenced (its partitions get new leaders) within 4 s instead of 9 s.
 */
function serverProperties(p: BrokerPlace, voters: string, dataDir: string, clusterSize: number): string {
  const rf = Math.min(3, clusterSize);
  const minIsr = rf >= 3 ? 2 : 1;
  return `process.roles=broker,controller
node.id=${p.nodeId}
controller.quorum.voters=${voters}
listeners=PLAINTEXT://127.0.0.1:${p.port},CONTROLLER://127.0.0.1:${p.controllerPort}
advertised.listeners=PLAINTEXT://127.0.0.1:${p.port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=${dataDir}
num.partitions=1
auto.create.topics.enable=false
# Topics are created with the broker's default replication (topics/admin.ts): ${rf} here.
default.replication.factor=${rf}
min.insync.replicas=${minIsr}
unclean.leader.election.enable=false
offsets.topic.replication.factor=${rf}
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=${rf}
transaction.state.log.min.isr=${minIsr}
group.initial.rebalance.delay.ms=0
${clusterSize > 1 ? 'broker.heartbeat.interval.ms=500\nbroker.session.timeout.ms=4000\nreplica.lag.time.max.ms=10000\n' : ''}num.network.threads=2
num.io.threads=4
# The active controller writes a no-op record to the metadata log this often (default 500 ms), which
# every node appends, replicates and loads: 18-19 -> 11-12 ms of broker CPU a second with no client.
# The no-ops keep the quorum's liveness metrics fresh; elections and fencing do not wait for them.
metadata.max.idle.interval.ms=5000
log.retention.check.interval.ms=60000
log.cleaner.threads=1
log.cleaner.dedupe.buffer.size=33554432
# Every topic sets its own max.message.bytes (topics/catalog.ts); the broker accepts the largest of them.
message.max.bytes=${BROKER_MAX_MESSAGE_BYTES}
replica.fetch.max.bytes=${BROKER_MAX_MESSAGE_BYTES}
`;
}
