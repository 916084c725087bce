import type { Command } from 'commander';
import { infraSettings } from '../infra/settings';
import { operatorSettings } from '../fleet/settings';
import { operatorIdentity } from '../replay/runs';
import { readCurrentRuntimes, runtimeVersionRows, setCurrentRuntime } from '../runtimes/versions';
import { createKafka } from '../../topics/kafka';
import { createRegistry } from '../../topics/registry';
import { formatTable } from './table';

/** `conveyor runtimes list | set-current <lang> <version>`: toolchain versions as deployable builds. */
export function registerRuntimes(program: Command, log: (msg: string) => void): void {
  const cmd = program.command('runtimes').description('toolchain versions of each language: list them, switch the one new sessions get');
  const connect = () => {
    const s = infraSettings();
    return { kafka: createKafka(s.brokers, 'conveyor-runtimes'), registry: createRegistry({ url: s.registryUrl }) };
  };
  cmd
    .command('list')
    .description('every toolchain version of the language table, the current one marked, and whether this machine has it')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const { kafka, registry } = connect();
      const rows = runtimeVersionRows(await readCurrentRuntimes(kafka, registry));
      if (o.json) return console.log(JSON.stringify(rows, null, 2));
      console.log(formatTable(['language', 'version', 'current', 'dependency sets', 'hardware classes', 'installed here', 'switched by'], rows.map((r) => [
        r.language, r.version, r.current ? '*' : '', r.dependencySets.join(', '), r.hardwareClasses.join(', '), r.installed === null ? '-' : r.installed ? 'yes' : 'NO', r.setBy ?? '',
      ])));
    });
  cmd
    .command('set-current <language> <version>')
    .description('new sessions of the language get this version (open sessions and short links keep theirs); run `replay runs --against <version>` first')
    .option('--operator <name>', 'who switches (recorded with a fingerprint of the operator token)')
    .action(async (language: string, version: string, o: { operator?: string }) => {
      const { kafka, registry } = connect();
      const rec = await setCurrentRuntime(kafka, registry, language, version, operatorIdentity(operatorSettings().token.reveal(), o.operator));
      log(`new ${rec.language} sessions get ${rec.version} (switched by ${rec.setBy})`);
    });
}
