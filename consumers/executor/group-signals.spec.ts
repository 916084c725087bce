import { logLevel, type LogEntry } from 'kafkajs';
import { groupSignalLogCreator } from './group-signals';

const entry = (message: string, error?: string): LogEntry => ({ namespace: 'Connection', level: logLevel.ERROR, label: 'ERROR', log: { timestamp: 't', logger: 'kafkajs', message, ...(error ? { error } : {}) } });

describe('group signals from kafkajs logs', () => {
  it('says at once when the coordinator answers a heartbeat or commit with a rebalance or a stale generation, and still writes every line', () => {
    let endings = 0;
    const lines: string[] = [];
    const log = groupSignalLogCreator({ onGenerationEnding: () => endings++, write: (l) => lines.push(l) })(logLevel.ERROR);
    log(entry('Response Heartbeat(key: 12, version: 3)', 'The group is rebalancing, so a rejoin is needed'));
    log(entry('Response OffsetCommit(key: 8, version: 5)', 'Specified group generation id is not valid'));
    log(entry('Response Heartbeat(key: 12, version: 3)', 'The coordinator is not aware of this member'));
    expect(endings).toBe(3);
    log(entry('Response Fetch(key: 1, version: 11)', 'The group is rebalancing, so a rejoin is needed'));
    log(entry('Response Heartbeat(key: 12, version: 3)', 'Request timed out'));
    log(entry('Connection error'));
    expect(endings).toBe(3);
    expect(lines).toHaveLength(6);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'ERROR', logger: 'kafkajs', message: '[Connection] Response Heartbeat(key: 12, version: 3)', error: 'The group is rebalancing, so a rejoin is needed' });
  });
});
