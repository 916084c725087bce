import fs from 'node:fs';
import path from 'node:path';
import { managedProcess } from '../managed-process';
import type { InfraSettings } from '../settings';

const version = () => fs.readFileSync(path.join(__dirname, 'apicurio.version'), 'utf8').trim();

/**
 * Apicurio Registry 3 (from Maven Central) serving the Confluent-compatible
 * API under /apis/ccompat/v7, with its H2 database kept in the state dir so
 * schema ids survive restarts.
 */
export function apicurioRegistry(s: InfraSettings) {
  const dir = path.join(s.stateDir, 'registry');
  const home = path.join(s.cacheDir, `apicurio-${version()}`);
  const jar = path.join(home, `apicurio-registry-app-${version()}-runner.jar`);
  const dbFile = path.join(dir, 'db', 'registry');
  return managedProcess({
    name: 'registry',
    dir,
    command: 'java',
    args: [
      `-Xmx${s.REGISTRY_HEAP}`, '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', `-Dconveyor.dir=${dir}`,
      `-Dquarkus.http.port=${s.REGISTRY_PORT}`, '-Dquarkus.http.host=127.0.0.1',
      '-Dapicurio.storage.kind=sql', '-Dapicurio.storage.sql.kind=h2',
      `-Dapicurio.datasource.url=jdbc:h2:file:${dbFile};DB_CLOSE_ON_EXIT=FALSE`,
      '-Dapicurio.datasource.username=sa', '-Dapicurio.datasource.password=sa',
      '-Dquarkus.log.level=WARN', '-Dquarkus.log.category."io.apicurio".level=INFO',
      '-jar', jar,
    ],
    startTimeoutMs: s.INFRA_START_TIMEOUT_MS,
    async healthy() {
      const res = await fetch(`http://127.0.0.1:${s.REGISTRY_PORT}/apis/ccompat/v7/subjects`, { signal: AbortSignal.timeout(1000) });
      return res.ok;
    },
    async prepare() {
      if (!fs.existsSync(jar)) throw new Error(`Apicurio Registry missing at ${jar}: run "npm run setup" first.`);
      fs.mkdirSync(path.dirname(dbFile), { recursive: true });
    },
  });
}
