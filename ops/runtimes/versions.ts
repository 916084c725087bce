import fs from 'node:fs';
import path from 'node:path';
import type { Kafka } from 'kafkajs';
import { createCurrentRuntimes } from '../../producers/gateway/current-runtimes';
import { findLanguage, LANGUAGES, versionsOf, type LanguageDef } from '../../runtimes/languages';
import { paths } from '../../topics/ground/paths';
import { topics } from '../../topics/catalog';
import { createTypedProducer } from '../../topics/codec';
import type { Registry } from '../../topics/registry';
import type { RuntimeCurrent } from '../../topics/types';

/**
 * Runtime versions as deployable builds (docs/decisions/runtime-versions.md):
 * the language table may hold several toolchain versions of a language;
 * `conveyor runtimes list` shows them with the current one, and
 * `runtimes set-current <lang> <version>` writes runtimes.current, which every
 * gateway follows: new sessions get that version, open sessions and short
 * links keep theirs. `replay runs --against <version>` is the check to run first.
 */
export class RuntimeVersionError extends Error {
  constructor(readonly code: 'unknown_language' | 'unknown_version', message: string) {
    super(message);
  }
}

export interface RuntimeVersionRow { language: string; version: string; current: boolean; dependencySets: string[]; hardwareClasses: string[]; installed: boolean | null; setBy: string | null }

/** Whether this machine has the toolchain's binary (null when the table names none we can look for). */
export function toolchainInstalled(lang: LanguageDef, cacheDir = paths().cache): boolean | null {
  const tc = lang.toolchains.x86_64 ?? Object.values(lang.toolchains)[0];
  const bin = tc?.compile?.[0] === '/bin/sh' ? undefined : (tc?.compile?.[0] ?? tc?.run[0]);
  if (!bin || bin.startsWith('{')) return null;
  const depsDir = lang.dependencySets.find((d) => d.depsDir)?.depsDir;
  if (bin.startsWith('/deps/')) return depsDir ? fs.existsSync(path.join(cacheDir, 'depsets', depsDir, bin.slice('/deps/'.length))) : null;
  return bin.startsWith('/opt/') ? null : fs.existsSync(bin);
}

/** Every version of every language, with the current one marked (the switched one, else the table's first). */
export function runtimeVersionRows(switched: RuntimeCurrent[], installed: (l: LanguageDef) => boolean | null = (l) => toolchainInstalled(l)): RuntimeVersionRow[] {
  const by = new Map(switched.map((c) => [c.language, c]));
  return LANGUAGES.map((l) => {
    const sw = by.get(l.id);
    const currentVersion = sw && versionsOf(l.id).some((v) => v.version === sw.version) ? sw.version : versionsOf(l.id)[0]!.version;
    return {
      language: l.id, version: l.version, current: l.version === currentVersion, dependencySets: l.dependencySets.map((d) => d.name),
      hardwareClasses: Object.keys(l.toolchains), installed: installed(l), setBy: l.version === sw?.version ? `${sw.setBy} at ${new Date(sw.setAtMs).toISOString()}` : null,
    };
  });
}

/** The switches runtimes.current holds now. */
export async function readCurrentRuntimes(kafka: Kafka, registry: Registry): Promise<RuntimeCurrent[]> {
  const current = createCurrentRuntimes({ kafka, registry, gatewayId: 'cli' });
  try {
    await current.start();
    return current.all();
  } finally {
    await current.stop();
  }
}

/** Checks a switch against the language table: the language exists and the version names exactly one of its toolchains. */
export function resolveSwitch(language: string, version: string): LanguageDef {
  const any = findLanguage(language);
  if (!any) throw new RuntimeVersionError('unknown_language', `Language "${language}" is not in the language table; \`conveyor runtimes list\` shows the languages.`);
  const lang = findLanguage(language, version);
  if (!lang) throw new RuntimeVersionError('unknown_version', `${any.id} has no version ${version}; its versions are ${versionsOf(any.id).map((l) => l.version).join(', ')}.`);
  return lang;
}

/** Switches new sessions of a language to a version: one record on runtimes.current (keyed by language). */
export async function setCurrentRuntime(kafka: Kafka, registry: Registry, language: string, version: string, setBy: string): Promise<RuntimeCurrent> {
  const lang = resolveSwitch(language, version);
  const record: RuntimeCurrent = { language: lang.id, version: lang.version, setBy, setAtMs: Date.now() };
  const producer = await createTypedProducer(kafka, registry);
  try {
    await producer.send(topics.runtimesCurrent, [{ key: lang.id, value: record }]);
  } finally {
    await producer.raw.disconnect();
  }
  return record;
}
