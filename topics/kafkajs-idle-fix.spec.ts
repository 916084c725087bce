import { RequestQueue, fixKafkajsIdleLoop, scheduleCheckPendingRequests } from './kafkajs-idle-fix';

const original = RequestQueue.prototype.scheduleCheckPendingRequests;
const logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const queue = () => new RequestQueue({ maxInFlightRequests: null, requestTimeout: 30000, enforceRequestTimeout: false, clientId: 'spec', broker: 'spec:9092', logger });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How often an idle queue checks its (empty) pending list in `ms`. */
async function checksWhileIdle(ms: number): Promise<number> {
  const q = queue();
  let checks = 0;
  const check = q.checkPendingRequests.bind(q);
  q.checkPendingRequests = () => {
    checks++;
    check();
  };
  q.checkPendingRequests();
  await sleep(ms);
  if (q.throttleCheckTimeoutId) clearTimeout(q.throttleCheckTimeoutId);
  q.pending.length = 0;
  q.throttledUntil = Date.now() + 3600_000;
  return checks;
}

describe('kafkajs idle loop fix', () => {
  afterAll(() => fixKafkajsIdleLoop());

  it('kafkajs 2.2.4 itself re-checks an empty queue about every millisecond (the loop the fix removes)', async () => {
    RequestQueue.prototype.scheduleCheckPendingRequests = original;
    expect(await checksWhileIdle(100)).toBeGreaterThan(10);
  });

  it('with the fix an idle queue schedules nothing', async () => {
    fixKafkajsIdleLoop();
    expect(RequestQueue.prototype.scheduleCheckPendingRequests).toBe(scheduleCheckPendingRequests);
    expect(await checksWhileIdle(100)).toBe(1);
  });

  it('still checks a pending request again after 10 ms, and a throttled queue when the throttle ends', async () => {
    fixKafkajsIdleLoop();
    const q = queue();
    let checks = 0;
    q.checkPendingRequests = () => void checks++;
    q.pending.push({});
    q.scheduleCheckPendingRequests();
    expect(q.throttleCheckTimeoutId).not.toBeNull();
    await sleep(40);
    expect(checks).toBe(1);

    q.pending.length = 0;
    q.throttledUntil = Date.now() + 30;
    q.scheduleCheckPendingRequests();
    expect(q.throttleCheckTimeoutId).not.toBeNull();
    await sleep(80);
    expect(checks).toBe(2);
  });
});
