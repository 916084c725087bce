import { brokerJvmOptions } from './kafka';
import { infraSettings } from '../settings';

describe("the broker JVM's options", () => {
  it('stops at the quick compiler by default and lets the JVM tier up with KAFKA_JIT=tiered', () => {
    expect(brokerJvmOptions(infraSettings({}))).toContain('-XX:TieredStopAtLevel=1');
    expect(brokerJvmOptions(infraSettings({ KAFKA_JIT: 'tiered' }))).not.toContain('-XX:TieredStopAtLevel=1');
    expect(brokerJvmOptions(infraSettings({ KAFKA_JIT: 'tiered', KAFKA_HEAP: '512m' }))).toEqual(['-Xms512m', '-Xmx512m', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20']);
  });

  it('refuses a KAFKA_JIT it does not know, naming it', () => {
    expect(() => infraSettings({ KAFKA_JIT: 'c2' })).toThrow(/KAFKA_JIT: must be c1 or tiered/);
  });
});
