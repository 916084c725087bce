import { z } from 'zod';
import { ConfigError, env, readSection, shown } from './env';

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

  it('never repeats a secret or the credentials inside a URL in its error', () => {
    const urls = z.object({ EXPORT_S3_URL: z.string().startsWith('s3://'), AWS_SECRET_ACCESS_KEY: z.string().min(40) });
    const err = (e: NodeJS.ProcessEnv) => {
      try {
        readSection(urls, { EXPORT_S3_URL: 's3://b/p', AWS_SECRET_ACCESS_KEY: 'x'.repeat(40), ...e });
      } catch (x) {
        return (x as Error).message;
      }
      return 'no error';
    };
    expect(err({ EXPORT_S3_URL: 'https://AKIA:wJalrXUtn@host/bucket' })).toBe('EXPORT_S3_URL: Invalid string: must start with "s3://" (got "https://[hidden]@host/bucket")');
    expect(err({ AWS_SECRET_ACCESS_KEY: 'short-secret' })).toMatch(/^AWS_SECRET_ACCESS_KEY: .*\(got \[hidden\]\)$/);
    expect(err({ AWS_SECRET_ACCESS_KEY: 'short-secret' })).not.toContain('short-secret');
    expect(shown('GATEWAY_PORT', undefined)).toBe('nothing');
  });
});
