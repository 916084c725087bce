import { createBacklog } from './backlog';

describe('backlog in Kafka', () => {
  it('counts what waits behind the next offset to take in each owned partition, from the end offsets last read', async () => {
    let high: { partition: number; high: string; committed?: string | null }[] = [{ partition: 0, high: '100' }, { partition: 1, high: '40' }, { partition: 2, high: '7' }];
    const b = createBacklog({ offsets: async () => high, refreshMs: 1000 });
    await b.refresh();
    b.taken(0, 9);
    b.taken(0, 4);
    b.taken(1, 39);
    // Partition 2: nothing taken yet, so unknown (0); partition 3 is not owned.
    expect(b.count([0, 1, 2])).toBe(90);
    high = [{ partition: 0, high: '130' }, { partition: 1, high: '40' }];
    await b.refresh();
    expect(b.count([0, 1])).toBe(120);
    b.forget([0]);
    expect(b.count([0, 1])).toBe(0);
  });

  it('counts a partition nothing was taken from yet from the group\'s committed offset (a member blocked on a full queue never reached it)', async () => {
    const b = createBacklog({ offsets: async () => [{ partition: 0, high: '50', committed: '20' }, { partition: 1, high: '9', committed: null }, { partition: 2, high: '30', committed: '10' }], refreshMs: 1000 });
    await b.refresh();
    b.taken(2, 24);
    expect(b.count([0, 1, 2])).toBe(30 + 0 + 5);
  });

  it('never counts below zero when the member took more than the last end offsets showed, and keeps the last ends on an error', async () => {
    let fail = false;
    const errors: string[] = [];
    const b = createBacklog({ offsets: async () => (fail ? Promise.reject(new Error('broker away')) : [{ partition: 0, high: '10' }]), refreshMs: 1000, onError: (e) => errors.push(e.message) });
    await b.refresh();
    b.taken(0, 14);
    expect(b.count([0])).toBe(0);
    b.taken(0, 3);
    fail = true;
    await b.refresh();
    expect(errors).toEqual(['broker away']);
    expect(b.count([0])).toBe(0);
  });

  it('reads the offsets at a turn only while the queue was full since the last reading, something waited, or the reading is old', async () => {
    let reads = 0;
    let t = 0;
    let high = '10';
    const b = createBacklog({ offsets: async () => (reads++, [{ partition: 0, high, committed: '10' }]), refreshMs: 1000, idleRefreshMs: 30000, now: () => t });
    await b.refresh();
    await b.tick();
    t = 29000;
    await b.tick();
    expect(reads).toBe(1);
    b.pressed();
    await b.tick();
    expect(reads).toBe(2);
    // The reading left requests waiting: read again at every turn until they are taken.
    high = '12';
    b.pressed();
    await b.tick();
    await b.tick();
    expect(reads).toBe(4);
    b.taken(0, 11);
    await b.tick();
    expect(reads).toBe(4);
    t = 29000 + 30000;
    await b.tick();
    expect(reads).toBe(5);
  });
});
