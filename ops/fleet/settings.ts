import os from 'node:os';
import { z } from 'zod';
import { ConfigError, env, readSection } from '../../topics/ground/env';
import { paths } from '../../topics/ground/paths';
import { HARDWARE_CLASSES } from '../../topics/catalog';
import { operatorToken, operatorTokenSection, type OperatorToken } from '../../topics/ground/operator-token';

/** `class=n,…` → counts per hardware class; unknown classes and bad numbers stop start-up. */
const perClass = (def: string) =>
  z
    .string()
    .default(def)
    .transform((v, ctx) => {
      const out: Record<string, number> = {};
      for (const part of v.split(',').map((x) => x.trim()).filter(Boolean)) {
        const m = /^([A-Za-z0-9_]+)=(\d+)$/.exec(part);
        if (!m || !(HARDWARE_CLASSES as readonly string[]).includes(m[1]!)) {
          ctx.addIssue({ code: 'custom', message: `must be class=count[,class=count…] with classes from ${HARDWARE_CLASSES.join(', ')}` });
          return z.NEVER;
        }
        out[m[1]!] = Number(m[2]);
      }
      return out;
    });

const section = z.object({
  FLEET_HOST: env.str('127.0.0.1'),
  FLEET_PORT: env.port(8095),
  FLEET_ACTUATOR: z.enum(['local', 'kubernetes'], { message: 'must be local or kubernetes' }).default('local'),
  /** Executors per class at start (the scaler or an operator changes it later). */
  FLEET_DESIRED: perClass('x86_64=1,arm64=1'),
  FLEET_MIN: perClass(''),
  /** Unset classes: the local actuator caps at this machine's cores, kubernetes at the routed partitions. */
  FLEET_MAX: perClass(''),
  FLEET_RESTART_BACKOFF_MS: env.int(1000, 10, 600000),
  FLEET_RESTART_BACKOFF_MAX_MS: env.int(60000, 100, 3600000),
  /** A member that dies this many times within the window is reported crash-looping and restarted only after the longest back-off. */
  FLEET_CRASH_LOOP_RESTARTS: env.int(5, 1, 1000),
  FLEET_CRASH_LOOP_WINDOW_MS: env.int(120000, 1000, 3600000),
  /** How long a draining member may finish its runs: the longest compile plus run limits (60 s + 60 s), plus commit and leave. */
  FLEET_DRAIN_TIMEOUT_MS: env.int(150000, 1000, 3600000),
  FLEET_START_TIMEOUT_MS: env.int(120000, 1000, 900000),
  FLEET_CORES: env.int(Math.max(1, os.cpus().length), 1, 4096),
});

export function fleetSettings(e: NodeJS.ProcessEnv = process.env) {
  const s = readSection(section, e);
  for (const hw of Object.keys(s.FLEET_MIN)) {
    if (s.FLEET_MAX[hw] !== undefined && s.FLEET_MIN[hw]! > s.FLEET_MAX[hw]!) throw new ConfigError('FLEET_MIN', `${hw}=${s.FLEET_MIN[hw]} is above FLEET_MAX ${hw}=${s.FLEET_MAX[hw]}`);
  }
  return { ...s, url: `http://${s.FLEET_HOST}:${s.FLEET_PORT}` };
}
export type FleetSettings = ReturnType<typeof fleetSettings>;

/** The operator token of this installation (configured, or generated into the state directory). */
export function operatorSettings(e: NodeJS.ProcessEnv = process.env): { token: OperatorToken } {
  const c = readSection(operatorTokenSection, e);
  return { token: operatorToken({ configured: c.CONVEYOR_OPERATOR_TOKEN, stateDir: paths(e).state }) };
}
