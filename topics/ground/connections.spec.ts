import { ConfigError } from './env';
import { connectionSettings } from './connections';

describe('connectionSettings', () => {
  it('points at the local broker and registry that `conveyor up` runs when nothing is set', () => {
    const c = connectionSettings({ CONVEYOR_STATE_DIR: '/tmp/conveyor-state' });
    expect(c).toMatchObject({ brokers: ['127.0.0.1:9092'], localKafka: true, registryUrl: 'http://127.0.0.1:8081/apis/ccompat/v7', localRegistry: true, clickhouseDataDir: '/tmp/conveyor-state/clickhouse' });
    expect(c.CLICKHOUSE_URL).toBeUndefined();
  });

  it('lists every local broker of a 3-broker cluster, on every second port from KAFKA_PORT', () => {
    const c = connectionSettings({ KAFKA_BROKERS_LOCAL: '3', KAFKA_PORT: '19092' });
    expect(c).toMatchObject({ brokers: ['127.0.0.1:19092', '127.0.0.1:19094', '127.0.0.1:19096'], localKafka: true });
    expect(() => connectionSettings({ KAFKA_BROKERS_LOCAL: '9' })).toThrow(/^KAFKA_BROKERS_LOCAL: /);
  });

  it('takes a broker list and a registry URL from the environment', () => {
    const c = connectionSettings({ KAFKA_BROKERS: 'k1:9092,k2:9093', SCHEMA_REGISTRY_URL: 'http://reg:8081' });
    expect(c).toMatchObject({ brokers: ['k1:9092', 'k2:9093'], localKafka: false, registryUrl: 'http://reg:8081', localRegistry: false });
  });

  it('names the variable of a malformed broker list', () => {
    expect(() => connectionSettings({ KAFKA_BROKERS: 'k1' })).toThrow(ConfigError);
    expect(() => connectionSettings({ KAFKA_BROKERS: 'k1' })).toThrow(/^KAFKA_BROKERS: must be host:port/);
  });
});
