import { brokerJvmOptions } from './kafka';
import { infraSettings } from '../settings';

describe("the broker JVM's options", () => {
  it("uses the JVM's tiers and the parallel collector by default", () => {
    expect(brokerJvmOptions(infraSettings({}))).toEqual(['-Xms768m', '-Xmx768m', '-XX:+UseParallelGC']);
  });

  it('stops at the quick compiler with KAFKA_JIT=c1 and uses G1 with KAFKA_GC=g1', () => {
    expect(brokerJvmOptions(infraSettings({ KAFKA_JIT: 'c1' }))).toContain('-XX:TieredStopAtLevel=1');
    expect(brokerJvmOptions(infraSettings({ KAFKA_GC: 'g1', KAFKA_HEAP: '512m' }))).toEqual(['-Xms512m', '-Xmx512m', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20']);
  });

  it('refuses a KAFKA_JIT or KAFKA_GC it does not know, naming it', () => {
    expect(() => infraSettings({ KAFKA_JIT: 'c2' })).toThrow(/KAFKA_JIT: must be c1 or tiered/);
    expect(() => infraSettings({ KAFKA_GC: 'zgc' })).toThrow(/KAFKA_GC: must be parallel or g1/);
  });
});
