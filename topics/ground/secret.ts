import { inspect } from 'node:util';

/**
 * A credential read from the environment. It prints as [hidden] everywhere a
 * settings object can end up (JSON, `conveyor config`, pino, console.log), so
 * only code that calls reveal() ever sees the value.
 */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toJSON(): string {
    return '[hidden]';
  }
  toString(): string {
    return '[hidden]';
  }
  [inspect.custom](): string {
    return '[hidden]';
  }
}
