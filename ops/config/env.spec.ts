import { z } from 'zod';
import { ConfigError, env, readSection } from './env';

const section = z.object({ GATEWAY_PORT: env.port(8080), KAFKA_HEAP: env.heap('512m'), FLAG: env.bool(false) });

describe('readSection', () => {
  it('applies defaults when variables are unset or empty', () => {
    expect(readSection(section, { GATEWAY_PORT: '' })).toEqual({ GATEWAY_PORT: 8080, KAFKA_HEAP: '512m', FLAG: false });
  });

  it('coerces and validates values', () => {
    expect(readSection(section, { GATEWAY_PORT: '9000', FLAG: 'yes' })).toMatchObject({ GATEWAY_PORT: 9000, FLAG: true });
  });

  it('names the variable and the problem for a bad value', () => {
    expect(() => readSection(section, { GATEWAY_PORT: '70000' })).toThrow(ConfigError);
    expect(() => readSection(section, { GATEWAY_PORT: '70000' })).toThrow(/^GATEWAY_PORT: .*70000/);
    expect(() => readSection(section, { KAFKA_HEAP: 'lots' })).toThrow(/KAFKA_HEAP: must be a JVM heap size/);
  });
});
