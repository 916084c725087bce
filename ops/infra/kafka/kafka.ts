import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import net from 'node:net';
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

/** A single-node Apache Kafka broker in KRaft mode, run from the Maven jars in the cache. */
export function kafkaBroker(s: InfraSettings) {
  const dir = path.join(s.stateDir, 'kafka');
  const libs = path.join(s.cacheDir, `kafka-${kafkaVersion()}`, 'libs');
  const dataDir = path.join(dir, 'data');
  const classpath = `${libs}/*`;
  return managedProcess({
    name: 'kafka',
    dir,
    command: 'java',
    args: [
      `-Xms${s.KAFKA_HEAP}`, `-Xmx${s.KAFKA_HEAP}`, '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-XX:TieredStopAtLevel=1',
      `-Dlog4j.configuration=file:${path.join(dir, 'log4j.properties')}`, `-Dconveyor.dir=${dir}`,
      '-cp', classpath, 'kafka.Kafka', path.join(dir, 'server.properties'),
    ],
    startTimeoutMs: s.INFRA_START_TIMEOUT_MS,
    healthy: () => kafkaAnswers('127.0.0.1', s.KAFKA_PORT),
    async prepare() {
      if (!fs.existsSync(libs)) throw new Error(`Kafka jars missing at ${libs}: run "npm run setup" first.`);
      fs.writeFileSync(path.join(dir, 'server.properties'), serverProperties(s, dataDir));
      fs.writeFileSync(path.join(dir, 'log4j.properties'), LOG4J);
      if (!fs.existsSync(path.join(dataDir, 'meta.properties'))) {
        const id = execFileSync('java', ['-cp', classpath, 'kafka.tools.StorageTool', 'random-uuid'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n').pop()!;
        execFileSync('java', ['-cp', classpath, 'kafka.tools.StorageTool', 'format', '-t', id, '-c', path.join(dir, 'server.properties')], { stdio: 'ignore' });
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

/** Tuned for interactive latency on one node: no replication, fast group joins. */
function serverProperties(s: InfraSettings, dataDir: string): string {
  return `process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${s.KAFKA_CONTROLLER_PORT}
listeners=PLAINTEXT://127.0.0.1:${s.KAFKA_PORT},CONTROLLER://127.0.0.1:${s.KAFKA_CONTROLLER_PORT}
advertised.listeners=PLAINTEXT://127.0.0.1:${s.KAFKA_PORT}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=${dataDir}
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
log.retention.check.interval.ms=60000
log.cleaner.threads=1
log.cleaner.dedupe.buffer.size=33554432
# Every topic sets its own max.message.bytes (topics/catalog.ts); the broker accepts the largest of them.
message.max.bytes=${BROKER_MAX_MESSAGE_BYTES}
replica.fetch.max.bytes=${BROKER_MAX_MESSAGE_BYTES}
`;
}
