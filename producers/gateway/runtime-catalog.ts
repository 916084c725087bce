import { compareVersions, runtimeInfos } from '../../runtimes/languages';
import { LIMITS } from '../../runtimes/limits';
import type { EngineLimits, RuntimeInfo, StageLimits } from '../../runtimes/types';
import { ApiError, badRequest } from './errors';

export interface ResolvedRuntime { language: string; version: string; dependencySet: string; hardwareClass: string; compiled: boolean }

/**
 * What the gateway knows about runtimes without running any: the language
 * table and the limits, to refuse bad requests before they reach Kafka.
 */
export function createCatalog(infos: RuntimeInfo[], limits: EngineLimits, switched: (language: string) => string | undefined = () => undefined) {
  const byName = new Map<string, RuntimeInfo[]>();
  for (const info of infos) {
    for (const name of new Set([info.language, ...info.aliases].map((n) => n.toLowerCase()))) byName.set(name, [...(byName.get(name) ?? []), info]);
  }
  /** The version new sessions get: the one switched to (runtimes.current) when the table has it, else the table's first. */
  const currentOf = (candidates: RuntimeInfo[]): RuntimeInfo => candidates.find((c) => c.version === switched(c.language)) ?? candidates[0]!;
  return {
    runtimes: () => infos,
    limits: () => limits,
    /** The current version of a language (its table id or an alias), or undefined for an unknown one. */
    currentVersion(language: string): string | undefined {
      const candidates = byName.get(String(language).toLowerCase());
      return candidates ? currentOf(candidates).version : undefined;
    },
    resolve(language: string, version?: string, dependencySet?: string, hardwareClass = 'x86_64'): ResolvedRuntime {
      const candidates = byName.get(String(language).toLowerCase());
      if (!candidates) throw badRequest('unknown_language', `Language "${language}" is not supported; GET /api/v1/runtimes lists the languages.`);
      const matching = candidates.filter((c) => !version || version === '*' || c.version === version || c.version.startsWith(`${version}.`));
      // No version: the current one, unless the dependency set names another version's (a resumed session keeps its toolchain).
      const info = !version || version === '*'
        ? (dependencySet && !currentOf(candidates).dependencySets.includes(dependencySet) ? candidates.find((c) => c.dependencySets.includes(dependencySet)) : undefined) ?? currentOf(candidates)
        : matching.sort((a, b) => compareVersions(b.version, a.version))[0];
      if (!info) throw badRequest('unknown_version', `${language} ${version} is not available; available: ${candidates.map((c) => c.version).join(', ')}.`);
      const set = dependencySet ?? info.dependencySets[0]!;
      if (!info.dependencySets.includes(set)) throw badRequest('unknown_dependency_set', `Dependency set "${set}" does not exist for ${info.language}; available: ${info.dependencySets.join(', ')}.`);
      if (!info.hardwareClasses.includes(hardwareClass)) {
        throw new ApiError(400, 'hardware_class_unavailable', `${info.language} cannot run on hardware class "${hardwareClass}"; it runs on ${info.hardwareClasses.join(', ')}.`);
      }
      return { language: info.language, version: info.version, dependencySet: set, hardwareClass, compiled: info.compiled };
    },
    checkLimits(stage: 'compile' | 'run', requested: Partial<StageLimits> | undefined): void {
      if (!requested) return;
      const max = limits.maximums[stage];
      for (const [k, v] of Object.entries(requested) as [keyof StageLimits, number | undefined][]) {
        if (v === undefined || v === null) continue;
        if (!(k in max)) throw badRequest('unknown_limit', `"${k}" is not a limit; limits are ${Object.keys(max).join(', ')}.`);
        if (!Number.isFinite(v) || v <= 0) throw badRequest('invalid_limit', `The ${stage} limit ${k} must be a positive number.`);
        if (v > max[k]) throw badRequest('limit_exceeds_maximum', `The ${stage} limit ${k}=${v} is above the maximum ${max[k]}.`);
      }
    },
  };
}
export type Catalog = ReturnType<typeof createCatalog>;

/** The catalog of the runtimes' language table, without starting any runtime. */
export function catalogFromLanguageTable(switched?: (language: string) => string | undefined): Catalog {
  return createCatalog(runtimeInfos(), LIMITS, switched);
}
