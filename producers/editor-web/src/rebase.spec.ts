import { applyRebased, diffOp, rebase, type Op, type PageFile } from './rebase';

const one = (content: string): PageFile[] => [{ name: 'main.py', content }];
const applyOps = (files: PageFile[], ops: Op[]) => {
  const m = new Map(files.map((f) => [f.name, f.content]));
  for (const o of ops) {
    const t = m.get(o.file) ?? '';
    m.set(o.file, t.slice(0, o.offset) + o.insert + t.slice(o.offset + o.deleteCount));
  }
  return [...m].map(([name, content]) => ({ name, content }));
};

describe('rebasing unsent typing over a collaborator\'s version', () => {
  it('keeps both: theirs at the start, mine at the end', () => {
    const r = rebase(one('print(1)\n'), one('print(1)\nprint(2)\n'), { ops: [{ file: 'main.py', offset: 0, deleteCount: 0, insert: '# hi\n' }] });
    expect(r.next).toEqual(one('# hi\nprint(1)\n'));
    expect(applyRebased(one('print(1)\nprint(2)\n'), r)).toEqual(one('# hi\nprint(1)\nprint(2)\n'));
  });

  it('puts their insertion first when both typed at the same place, and keeps a deletion of mine', () => {
    const r = rebase(one('ab'), one('aXb'), { ops: [{ file: 'main.py', offset: 1, deleteCount: 0, insert: 'Y' }] });
    expect(applyRebased(one('aXb'), r)).toEqual(one('aYXb'));
    const d = rebase(one('hello world'), one('hello'), { ops: [{ file: 'main.py', offset: 0, deleteCount: 5, insert: 'HELLO' }] });
    expect(applyRebased(one('hello'), d)).toEqual(one('HELLO'));
  });

  it('takes whole files: a changed file is merged, a new one added, one I did not touch removed', () => {
    const confirmed = [{ name: 'a.py', content: 'x = 1\n' }, { name: 'b.py', content: 'y\n' }];
    const mine = [{ name: 'a.py', content: 'x = 1\nz = 3\n' }, { name: 'b.py', content: 'y\n' }];
    const r = rebase(confirmed, mine, { files: [{ name: 'a.py', content: 'x = 2\n' }, { name: 'c.py', content: 'new\n' }] });
    expect(applyRebased(mine, r)).toEqual([{ name: 'a.py', content: 'x = 2\nz = 3\n' }, { name: 'c.py', content: 'new\n' }]);
  });

  it('converges: three peers typing at random against one authoritative server end with the server\'s text', () => {
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let round = 0; round < 30; round++) {
      let server = one('def f():\n    return 1\n');
      let version = 1;
      const peers = [0, 1, 2].map(() => ({ version: 1, confirmed: server, mine: server, inbox: [] as { version: number; ops: Op[] }[] }));
      for (let step = 0; step < 60; step++) {
        const p = peers[rand(3)]!;
        const action = rand(3);
        if (action === 0) {
          // Type or delete somewhere.
          const t = p.mine[0]!.content;
          const at = rand(t.length + 1);
          const del = rand(3) === 0 ? Math.min(rand(4), t.length - at) : 0;
          p.mine = one(t.slice(0, at) + 'abc\n'.slice(rand(4)) + t.slice(at + del));
        } else if (action === 1 && p.inbox.length) {
          const e = p.inbox.shift()!;
          if (e.version !== p.version + 1) continue;
          const r = rebase(p.confirmed, p.mine, { ops: e.ops });
          p.mine = applyRebased(p.mine, r);
          p.confirmed = r.next;
          p.version = e.version;
        } else {
          // Send what is unsent; the server takes it only against its current version.
          const op = diffOp('main.py', p.confirmed[0]!.content, p.mine[0]!.content);
          if (!op || p.version !== version) continue;
          server = applyOps(server, [op]);
          version++;
          p.confirmed = p.mine;
          p.version = version;
          for (const q of peers) if (q !== p) q.inbox.push({ version, ops: [op] });
        }
      }
      // Everyone drains and flushes until nothing is left.
      for (let i = 0; i < 50; i++) {
        for (const p of peers) {
          while (p.inbox.length) {
            const e = p.inbox.shift()!;
            const r = rebase(p.confirmed, p.mine, { ops: e.ops });
            p.mine = applyRebased(p.mine, r);
            p.confirmed = r.next;
            p.version = e.version;
          }
          const op = diffOp('main.py', p.confirmed[0]!.content, p.mine[0]!.content);
          if (op && p.version === version) {
            server = applyOps(server, [op]);
            version++;
            p.confirmed = p.mine;
            p.version = version;
            for (const q of peers) if (q !== p) q.inbox.push({ version, ops: [op] });
          }
        }
      }
      for (const p of peers) expect(p.mine).toEqual(server);
    }
  });
});
