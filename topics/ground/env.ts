import { z } from 'zod';

/**
 * Configuration is data: every setting is an environment variable with a
 * default, validated once at start. Each subsystem declares its own section
 * (a zod object keyed by variable name) and reads it with `readSection`, so
 * adding a setting never means editing another subsystem's file.
 */
export class ConfigError extends Error {
  readonly code = 'config_invalid';
  constructor(readonly variable: string, problem: string) {
    super(`${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

export type Section = z.ZodObject<z.ZodRawShape>;

export function readSection<S extends Section>(section: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const raw: Record<string, string | undefined> = {};
  for (const key of Object.keys(section.shape)) raw[key] = env[key] === '' ? undefined : env[key];
  const parsed = section.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const variable = String(issue.path[0] ?? 'environment');
    throw new ConfigError(variable, `${issue.message} (got ${shown(variable, raw[variable])})`);
  }
  return parsed.data;
}

/** The rejected value as an error may show it: never a secret, never credentials inside a URL. */
export function shown(variable: string, value: string | undefined): string {
  if (value === undefined) return 'nothing';
  if (/SECRET|PASSWORD|TOKEN/i.test(variable)) return '[hidden]';
  return JSON.stringify(value.replace(/(\/\/)[^/@\s]*@/g, '$1[hidden]@'));
}

/** Helpers that turn an environment string into a typed, bounded value. */
export const env = {
  port: (def: number) => z.coerce.number().int().min(1).max(65535).default(def),
  int: (def: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(def),
  str: (def: string) => z.string().min(1).default(def),
  optionalUrl: () => z.string().url().optional(),
  heap: (def: string) =>
    z
      .string()
      .regex(/^\d+[mMgG]$/, 'must be a JVM heap size such as 512m or 1g')
      .default(def),
  bool: (def: boolean) =>
    z
      .enum(['1', '0', 'true', 'false', 'yes', 'no'], { message: 'must be one of 1, 0, true, false, yes, no' })
      .default(def ? 'true' : 'false')
      .transform((v) => v === '1' || v === 'true' || v === 'yes'),
  list: (def: string) =>
    z
      .string()
      .default(def)
      .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean)),
};
