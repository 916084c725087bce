import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildEditor } from '../../producers/editor-web/build';
import { EditorClient } from '../../producers/client/editor-client';
import { gatewayUrl, startExecutor, startGateway, stopService, wsUrl } from '../support/stack';

/**
 * The browser editor in Debian's Chromium (playwright-core) against a real
 * gateway and executor on the real broker. One browser, a page or context per
 * test. Screenshots of the main views are kept in test-artifacts/editor/.
 */
const ARTIFACTS = path.join(__dirname, '..', '..', 'test-artifacts', 'editor');
let services: Awaited<ReturnType<typeof startExecutor>>[] = [];
let browser: Browser;

beforeAll(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const [, executor] = await Promise.all([buildEditor(), startExecutor()]);
  services = [executor, await startGateway()];
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 180000);

afterAll(async () => {
  await browser?.close();
  for (const s of services.reverse()) await stopService(s);
});

/** A fresh context (own localStorage) with the editor loaded; page errors and requests that leave the gateway fail the test. */
async function openEditor(o: { viewport?: { width: number; height: number }; mobile?: boolean; url?: string } = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: o.viewport ?? { width: 1280, height: 800 }, isMobile: o.mobile, hasTouch: o.mobile, colorScheme: 'dark' });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('request', (r) => !r.url().startsWith(gatewayUrl) && !r.url().startsWith('ws://127.0.0.1') && !r.url().startsWith('data:') && problems.push(`outside request ${r.url()}`));
  (page as Page & { problems: string[] }).problems = problems;
  // EDITOR_WS_LOG=<file>: every WebSocket frame of every page, for reading a failure afterwards.
  if (process.env.EDITOR_WS_LOG) {
    const tag = Math.random().toString(36).slice(2, 5);
    page.on('websocket', (ws) => {
      ws.on('framesent', (f) => fs.appendFileSync(process.env.EDITOR_WS_LOG!, `${tag} > ${f.payload}\n`));
      ws.on('framereceived', (f) => fs.appendFileSync(process.env.EDITOR_WS_LOG!, `${tag} < ${f.payload}\n`));
    });
  }
  await page.goto(`${gatewayUrl}${o.url ?? '/'}`);
  await page.waitForSelector('body[data-ready="1"]');
  await page.waitForSelector('#status[data-state="saved"]');
  return page;
}
const problemsOf = (p: Page) => (p as Page & { problems: string[] }).problems;

/**
 * Types text as a person would (auto-closed brackets are typed over); before each
 * Enter, Escape closes a completion list so Enter makes a new line instead of accepting it.
 */
async function typeLines(page: Page, text: string) {
  const lines = text.split('\n');
  for (const [i, line] of lines.entries()) {
    await page.keyboard.type(line, { delay: 5 });
    if (i < lines.length - 1) {
      await page.keyboard.press('Escape');
      await page.keyboard.press('Enter');
    }
  }
}

/** Replaces the open file's text by typing it. */
async function typeProgram(page: Page, text: string) {
  await page.click('.cm-content');
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await typeLines(page, text);
}

const editorText = (page: Page) => page.evaluate(() => (window as any).conveyor.editor.files()[0].content as string);
const setText = (page: Page, text: string) => page.evaluate((t) => {
  const v = (window as any).conveyor.editor.view;
  v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: t } });
}, text);
async function chooseLanguage(page: Page, language: string) {
  await page.selectOption('#lang', language);
  await page.waitForFunction((l) => (window as any).conveyor.session.sessionId && document.querySelector<HTMLSelectElement>('#lang')!.value === l && document.querySelector('#status')!.getAttribute('data-state') === 'saved', language);
}

/** The session's text as the server holds it, read over the protocol by another client. */
async function serverText(sessionId: string): Promise<string> {
  const c = await EditorClient.connect(wsUrl);
  c.send({ type: 'resume', sessionId, version: 0 });
  const opened = await c.next((m) => m.type === 'opened');
  c.close();
  return (opened.files as { content: string }[])[0]!.content;
}

describe('browser editor', () => {
  it('types a program, runs it with Ctrl+Enter and streams its output with the result details', async () => {
    const page = await openEditor();
    await typeProgram(page, 'import sys\nprint("sum", 2 + 3)\nprint("\\x1b[31mred\\x1b[0m")\nprint("to stderr", file=sys.stderr)\n');
    expect(await editorText(page)).toBe('import sys\nprint("sum", 2 + 3)\nprint("\\x1b[31mred\\x1b[0m")\nprint("to stderr", file=sys.stderr)\n');
    await page.screenshot({ path: path.join(ARTIFACTS, 'desktop-editor.png') });
    await page.keyboard.press('Control+Enter');
    await page.waitForSelector('body[data-result]', { timeout: 60000 });
    expect(await page.getAttribute('body', 'data-result')).toBe('ok');
    expect(await page.textContent('#out')).toContain('sum 5');
    // ANSI colours are rendered, not printed as escape codes.
    expect(await page.textContent('#out')).not.toContain('[31m');
    expect(await page.locator('#out span.stdout span[style*="color"]').first().textContent()).toBe('red');
    expect(await page.textContent('#out .stderr')).toContain('to stderr');
    expect(await page.textContent('#details')).toMatch(/^ok · exit 0 · \d+ ms wall · \d+ ms CPU · [\d.]+ MiB peak · queued \d+ ms · [\d.]+ (ms|s) end to end/);
    // The run ran exactly the text on the page, as the server holds it.
    const sessionId = await page.evaluate(() => (window as any).conveyor.session.sessionId as string);
    expect(await serverText(sessionId)).toBe(await editorText(page));
    await page.screenshot({ path: path.join(ARTIFACTS, 'desktop-run.png') });
    await page.locator('#output').screenshot({ path: path.join(ARTIFACTS, 'output.png') });
    expect(problemsOf(page)).toEqual([]);
    await page.context().close();
  });

  it('shows a C compile error inline at its line, with the message, and jumps to it from the output', async () => {
    const page = await openEditor();
    await chooseLanguage(page, 'c');
    await setText(page, '#include <stdio.h>\n\nint main(void) {\n    int x = 1\n    printf("%d\\n", x);\n    return 0;\n}\n');
    await page.click('#run');
    await page.waitForSelector('body[data-result]', { timeout: 60000 });
    expect(await page.getAttribute('body', 'data-result')).toBe('compile_error');
    // gcc reports the missing semicolon where printf starts: line 5, column 5.
    const problem = page.locator('.problem').first();
    expect(await problem.textContent()).toBe('main.c:5:5  expected ‘,’ or ‘;’ before ‘printf’');
    const marked = page.locator('.cm-line .cm-lintRange-error');
    expect(await marked.count()).toBe(1);
    expect(await marked.textContent()).toBe('printf');
    expect(await page.locator('.cm-gutter-lint .cm-lint-marker-error').count()).toBe(1);
    await problem.click();
    const cursorLine = await page.evaluate(() => {
      const s = (window as any).conveyor.editor.view.state;
      return s.doc.lineAt(s.selection.main.head).number as number;
    });
    expect(cursorLine).toBe(5);
    await page.hover('.cm-lintRange-error');
    await page.waitForSelector('.cm-tooltip-lint');
    expect(await page.textContent('.cm-tooltip-lint')).toContain('expected ‘,’ or ‘;’ before ‘printf’');
    await page.screenshot({ path: path.join(ARTIFACTS, 'desktop-compile-error.png') });
    expect(problemsOf(page)).toEqual([]);
    await page.context().close();
  });

  it('loses no keystroke when the connection drops mid-typing', async () => {
    const page = await openEditor();
    await typeProgram(page, 'print("before the drop")\n');
    await page.evaluate(() => (window as any).conveyor.session.drop());
    // Typing goes on while the page is offline and while it resumes.
    await typeLines(page, 'print("while offline")\n');
    await page.waitForSelector('#status[data-state="saved"]', { timeout: 20000 });
    await typeLines(page, 'print("after")\n');
    await page.waitForSelector('#status[data-state="saved"]');
    const expected = 'print("before the drop")\nprint("while offline")\nprint("after")\n';
    expect(await editorText(page)).toBe(expected);
    const sessionId = await page.evaluate(() => (window as any).conveyor.session.sessionId as string);
    expect(await serverText(sessionId)).toBe(expected);
    expect(problemsOf(page)).toEqual([]);
    await page.context().close();
  });

  it('loses no keystroke when the gateway restarts mid-typing', async () => {
    const page = await openEditor();
    await typeProgram(page, 'print("before the restart")\n');
    await page.waitForSelector('#status[data-state="saved"]');
    // The gateway goes down and a new one comes up on the same address while the person keeps typing.
    let restarted = false;
    const restart = (async () => {
      await stopService(services.pop()!);
      services.push(await startGateway());
      restarted = true;
    })();
    const states = new Set<string>();
    let expected = 'print("before the restart")\n';
    for (let i = 0; !restarted || i < 3; i++) {
      await typeLines(page, `print(${i})\n`);
      expected += `print(${i})\n`;
      states.add((await page.getAttribute('#status', 'data-state'))!);
      await page.waitForTimeout(150);
      if (i > 400) throw new Error('the gateway did not come back');
    }
    await restart;
    await typeLines(page, 'print("after")\n');
    expected += 'print("after")\n';
    await page.waitForSelector('#status[data-state="saved"]', { timeout: 30000 });
    // Some of that typing happened while the page had no gateway.
    expect(states).toContain('offline');
    expect(await editorText(page)).toBe(expected);
    const sessionId = await page.evaluate(() => (window as any).conveyor.session.sessionId as string);
    expect(await serverText(sessionId)).toBe(expected);
    expect(problemsOf(page).filter((p) => !/WebSocket/.test(p))).toEqual([]);
    await page.context().close();
  }, 180000);

  it('answers the run in flight when its gateway is killed: the page asks again, under the same run id, on the gateway it reconnects to', async () => {
    const page = await openEditor();
    await setText(page, 'import time\ntime.sleep(2)\nprint("after the kill")\n');
    await page.waitForSelector('#status[data-state="saved"]');
    await page.click('#run');
    await page.waitForSelector('#details.status-submitted');
    // kill -9 while the program sleeps: no goodbye to the page, and the result is published for a gateway that is gone.
    const gateway = services.pop()!;
    const exited = new Promise((r) => gateway.child.once('exit', r));
    gateway.child.kill('SIGKILL');
    await exited;
    services.push(await startGateway());
    await page.waitForSelector('body[data-result]', { timeout: 90000 });
    expect(await page.getAttribute('body', 'data-result')).toBe('ok');
    expect(await page.textContent('#out')).toBe('after the kill\n');
    expect(problemsOf(page).filter((p) => !/WebSocket/.test(p))).toEqual([]);
    await page.context().close();
  }, 180000);

  it('lets two browsers edit one session live: both converge on the server\'s text, see each other\'s cursor and the run\'s output', async () => {
    const a = await openEditor();
    await setText(a, 'print("shared")\n');
    await a.waitForSelector('#status[data-state="saved"]');
    await a.click('#invite');
    const link = await a.inputValue('#invite-url');
    const sessionId = await a.evaluate(() => (window as any).conveyor.session.sessionId as string);
    expect(link).toMatch(new RegExp(`^${gatewayUrl}/s/${sessionId}#t=[A-Za-z0-9_-]{32}$`));
    await a.keyboard.press('Escape');

    // A second browser (its own storage) opens the link: the same session, text and runtime.
    const b = await openEditor({ url: link.slice(gatewayUrl.length) });
    expect(await b.evaluate(() => (window as any).conveyor.session.sessionId as string)).toBe(sessionId);
    expect(await editorText(b)).toBe('print("shared")\n');
    expect(await b.inputValue('#lang')).toBe('python');
    await a.waitForSelector('body[data-peers="1"]');
    await b.waitForSelector('body[data-peers="1"]');

    // Both type at once, in different places.
    await Promise.all([
      (async () => {
        await a.click('.cm-content');
        await a.keyboard.press('Control+End');
        await typeLines(a, 'print("from a")\n');
      })(),
      (async () => {
        await b.click('.cm-content');
        await b.keyboard.press('Control+Home');
        await typeLines(b, '# from b\n');
      })(),
    ]);
    const expected = '# from b\nprint("shared")\nprint("from a")\n';
    const converged = async (want?: string) => {
      await Promise.all([a, b].map((p) => p.waitForFunction(() => (window as any).conveyor.session && document.querySelector('#status')!.getAttribute('data-state') === 'saved', undefined, { timeout: 30000 })));
      for (let i = 0; i < 100; i++) {
        const [ta, tb] = [await editorText(a), await editorText(b)];
        if (ta === tb && (want === undefined || ta === want) && (await serverText(sessionId)) === ta) return ta;
        await a.waitForTimeout(200);
      }
      throw new Error(`did not converge: a=${JSON.stringify(await editorText(a))} b=${JSON.stringify(await editorText(b))} server=${JSON.stringify(await serverText(sessionId))}`);
    };
    expect(await converged(expected)).toBe(expected);
    // Each sees the other's cursor.
    await a.waitForSelector('.cm-remote-caret', { timeout: 10000 });
    await b.waitForSelector('.cm-remote-caret', { timeout: 10000 });

    // Both type on the same line at the same time: nothing is lost, everyone ends with the server's text.
    await Promise.all([
      (async () => {
        await a.keyboard.press('Control+End');
        await a.keyboard.type('aaaaaaaaaa', { delay: 5 });
      })(),
      (async () => {
        await b.keyboard.press('Control+End');
        await b.keyboard.type('bbbbbbbbbb', { delay: 5 });
      })(),
    ]);
    const both = await converged();
    expect(both.length).toBe(expected.length + 20);
    expect(both.replace(/[ab]{20}$/, '')).toBe(expected);
    expect([...both.slice(-20)].sort().join('')).toBe('a'.repeat(10) + 'b'.repeat(10));
    await a.keyboard.press('Control+End');
    for (let i = 0; i < 20; i++) await a.keyboard.press('Backspace');
    expect(await converged(expected)).toBe(expected);

    // A runs it; B sees the run and its output.
    await a.keyboard.press('Control+Enter');
    await a.waitForSelector('body[data-result="ok"]', { timeout: 60000 });
    await b.waitForSelector('body[data-result="ok"]', { timeout: 30000 });
    expect(await b.textContent('#out')).toBe('shared\nfrom a\n');
    await b.screenshot({ path: path.join(ARTIFACTS, 'desktop-collaboration.png') });
    expect(problemsOf(a)).toEqual([]);
    expect(problemsOf(b)).toEqual([]);

    // Another client joins only with the link's token.
    const token = link.split('#t=')[1]!;
    const other = await EditorClient.connect(wsUrl, { 'x-api-key': 'someone-else' });
    other.send({ type: 'resume', sessionId, version: 0 });
    expect((await other.next((m) => m.type === 'error')).code).toBe('collab_token_required');
    other.send({ type: 'resume', sessionId, version: 0, token: token.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) });
    expect((await other.next((m) => m.type === 'error' && m.code !== 'collab_token_required')).code).toBe('invalid_collab_token');
    other.send({ type: 'resume', sessionId, version: 0, token });
    const joined = await other.next((m) => m.type === 'opened');
    expect((joined.files as { content: string }[])[0]!.content).toBe(expected);
    other.close();
    await a.context().close();
    await b.context().close();
  });

  it('answers an interactive program line by line through live stdin, ends input with Ctrl+D and stops a run with Ctrl+C', async () => {
    const page = await openEditor();
    await setText(page, 'name = input("name? ")\nprint("hello", name)\nage = input("age? ")\nprint("next year", int(age) + 1)\n');
    await page.fill('#stdin', '');
    await page.click('#run');
    await page.waitForFunction(() => document.querySelector('#out')!.textContent!.includes('name? '), undefined, { timeout: 60000 });
    await page.fill('#live', 'Ada');
    await page.press('#live', 'Enter');
    await page.waitForFunction(() => document.querySelector('#out')!.textContent!.includes('hello Ada'));
    await page.fill('#live', '41');
    await page.press('#live', 'Enter');
    await page.waitForSelector('body[data-result]', { timeout: 30000 });
    expect(await page.getAttribute('body', 'data-result')).toBe('ok');
    expect(await page.textContent('#out')).toBe('name? Ada\nhello Ada\nage? 41\nnext year 42\n');
    await page.screenshot({ path: path.join(ARTIFACTS, 'desktop-live-stdin.png') });

    // Ctrl+D: the program reads to the end of its input.
    await setText(page, 'import sys\nwords = sys.stdin.read().split()\nprint(len(words), "words")\n');
    await page.click('#run');
    await page.waitForSelector('#live:not([disabled])');
    await page.fill('#live', 'one two');
    await page.press('#live', 'Enter');
    await page.fill('#live', 'three');
    await page.press('#live', 'Control+D');
    await page.waitForSelector('body[data-result]', { timeout: 60000 });
    expect(await page.getAttribute('body', 'data-result')).toBe('ok');
    expect(await page.textContent('#out')).toContain('3 words');

    // Ctrl+C: a program that never ends is stopped by SIGINT through the control path.
    await setText(page, 'import time\nprint("waiting", flush=True)\nwhile True:\n    time.sleep(0.05)\n');
    await page.click('#run');
    await page.waitForFunction(() => document.querySelector('#out')!.textContent!.includes('waiting'), undefined, { timeout: 60000 });
    await page.press('#live', 'Control+C');
    await page.waitForSelector('body[data-result]', { timeout: 30000 });
    expect(await page.getAttribute('body', 'data-result')).not.toBe('ok');
    expect(await page.textContent('#details')).toMatch(/signal SIG(INT|KILL)|exit 130|exit 1\b/);
    expect(problemsOf(page)).toEqual([]);
    await page.context().close();
  });

  it('shares a program: the link opens in a fresh browser with the same text, toolchain, input and flags; its embed is read-only and runs', async () => {
    const page = await openEditor();
    await chooseLanguage(page, 'c++');
    const program = '#include <iostream>\n#include <string>\nint main(int argc, char** argv) {\n    std::string s; std::cin >> s;\n    std::cout << "got " << s << " and " << argc - 1 << " args" << std::endl;\n}\n';
    await setText(page, program);
    await page.fill('#stdin', 'word');
    await page.fill('#args', 'a b');
    await page.fill('#flags', '-O1');
    await page.click('#share');
    await page.waitForSelector('body[data-shared]');
    const id = (await page.getAttribute('body', 'data-shared'))!;
    expect(id).toMatch(/^[A-Za-z0-9_-]{12}$/);
    const url = await page.inputValue('#share-url');
    expect(url).toBe(`${gatewayUrl}/z/${id}`);
    const token = await page.inputValue('#share-token');
    await page.screenshot({ path: path.join(ARTIFACTS, 'desktop-share.png') });
    await page.context().close();

    // A fresh context (nothing in its storage) opens the link: a new session with the shared state.
    const other = await openEditor({ url: `/z/${id}` });
    expect(await editorText(other)).toBe(program);
    expect(await other.inputValue('#lang')).toBe('c++');
    expect(await other.inputValue('#version')).toBe('12.2.0');
    expect(await other.inputValue('#stdin')).toBe('word');
    expect(await other.inputValue('#args')).toBe('a b');
    expect(await other.inputValue('#flags')).toBe('-O1');
    await other.click('#run');
    await other.waitForSelector('body[data-result]', { timeout: 60000 });
    expect(await other.textContent('#out')).toContain('got word and 2 args');
    const sessionId = await other.evaluate(() => (window as any).conveyor.session.sessionId as string);
    expect(await serverText(sessionId)).toBe(program);
    expect(problemsOf(other)).toEqual([]);
    await other.context().close();

    // The embed: read-only text, still runnable.
    const embed = await openEditor({ url: `/e/${id}` });
    expect(await embed.getAttribute('body', 'data-embed')).toBe('1');
    await embed.click('.cm-content');
    await embed.keyboard.type('// typed into an embed');
    expect(await editorText(embed)).toBe(program);
    await embed.click('#run');
    await embed.waitForSelector('body[data-result="ok"]', { timeout: 60000 });
    expect(await embed.getAttribute('#open-full', 'href')).toBe(`/z/${id}`);
    await embed.screenshot({ path: path.join(ARTIFACTS, 'embed.png') });
    await embed.context().close();

    // Deleting needs the creator's token.
    const wrong = await fetch(`${gatewayUrl}/api/v1/links/${id}`, { method: 'DELETE', headers: { 'x-delete-token': 'not-the-token' } });
    expect(wrong.status).toBe(403);
    expect((await wrong.json()).error.code).toBe('invalid_delete_token');
    const del = await fetch(`${gatewayUrl}/api/v1/links/${id}`, { method: 'DELETE', headers: { 'x-delete-token': token } });
    expect(del.status).toBe(204);
    expect((await fetch(`${gatewayUrl}/api/v1/links/${id}`)).status).toBe(404);
    const gone = await openEditor({ url: `/z/${id}` });
    expect(await gone.textContent('#notice')).toContain('does not exist or was deleted');
    await gone.context().close();
  });

  it('scrubs the history back to an old version, shows where runs happened, and restores it', async () => {
    const page = await openEditor();
    await setText(page, 'print("first")\n');
    await page.waitForSelector('#status[data-state="saved"]');
    const first = await page.evaluate(() => (window as any).conveyor.session.version as number);
    await page.click('#run');
    await page.waitForSelector('body[data-result="ok"]', { timeout: 60000 });
    await page.click('.cm-content');
    await page.keyboard.press('Control+End');
    await typeLines(page, 'print("second")');
    await page.waitForSelector('#status[data-state="saved"]');
    const now = await page.evaluate(() => (window as any).conveyor.session.version as number);
    expect(now).toBeGreaterThan(first);

    await page.click('#history-toggle');
    // The label says why when the history cannot be read (it then stays without data-history).
    await page.waitForSelector('body[data-history]', { timeout: 30000 }).catch(async (err) => {
      throw new Error(`${(err as Error).message}; history label: ${await page.textContent('#history-label')}`);
    });
    expect(await page.getAttribute('#history-range', 'max')).toBe(String(now));
    expect(await page.locator('#history-runs .run.ok').count()).toBe(1);
    // Scrub back to the version that ran.
    await page.locator('#history-range').fill(String(first));
    await page.waitForSelector(`body[data-history-version="${first}"]`, { timeout: 30000 });
    expect(await editorText(page)).toBe('print("first")\n');
    expect(await page.textContent('#history-label')).toContain(`v${first}`);
    expect(await page.textContent('#history-label')).toContain('run ok');
    await page.screenshot({ path: path.join(ARTIFACTS, 'desktop-history.png') });
    // Previewing sends nothing: the server still has the newest text.
    const sessionId = await page.evaluate(() => (window as any).conveyor.session.sessionId as string);
    expect(await serverText(sessionId)).toBe('print("first")\nprint("second")');

    await page.click('#history-restore');
    await page.waitForFunction((v) => (window as any).conveyor.session.version > v && document.querySelector('#status')!.getAttribute('data-state') === 'saved', now);
    expect(await serverText(sessionId)).toBe('print("first")\n');
    expect(await editorText(page)).toBe('print("first")\n');
    expect(problemsOf(page)).toEqual([]);
    await page.context().close();
  });

  it('gives the same state the same id, survives a gateway restart, caps the size and rate-limits creation', async () => {
    const state = { language: 'python', files: [{ name: 'main.py', content: `print(${Date.now()})\n` }], stdin: '', args: [], compilerFlags: [] };
    const post = (body: unknown, key = 'links-test') => fetch(`${gatewayUrl}/api/v1/links`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body: JSON.stringify(body) });
    const first = await post(state);
    expect(first.status).toBe(201);
    const a = await first.json();
    const second = await post(state);
    expect(second.status).toBe(200);
    const b = await second.json();
    expect(b.id).toBe(a.id);
    expect(b.version).toBe('3.11.2');
    expect(b.deleteToken).not.toBe(a.deleteToken);

    // A restarted gateway rebuilds its index from editor.links.
    await stopService(services.pop()!);
    services.push(await startGateway());
    const after = await fetch(`${gatewayUrl}/api/v1/links/${a.id}`);
    expect(after.status).toBe(200);
    expect((await after.json()).files).toEqual(state.files);
    // Both creators' tokens still delete it (the first one here).
    expect((await fetch(`${gatewayUrl}/api/v1/links/${a.id}`, { method: 'DELETE', headers: { 'x-delete-token': a.deleteToken } })).status).toBe(204);

    const big = await post({ ...state, files: [{ name: 'main.py', content: 'x'.repeat(400 * 1024) }] });
    expect(big.status).toBe(413);
    expect((await big.json()).error.code).toBe('link_too_large');
    const bad = await post({ language: 'python' });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.code).toBe('invalid_request');

    const codes: number[] = [];
    for (let i = 0; i < 40 && !codes.includes(429); i++) codes.push((await post({ ...state, stdin: String(i) }, 'links-rate')).status);
    expect(codes).toContain(429);
    expect(codes.filter((c) => c === 201).length).toBeGreaterThanOrEqual(20);
  });

  it('lets a page of another site frame an embed and run it, and refuses to be framed anywhere else', async () => {
    const created = await fetch(`${gatewayUrl}/api/v1/links`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'frames-test' },
      body: JSON.stringify({ language: 'python', files: [{ name: 'main.py', content: 'print("framed")\n' }], stdin: '', args: [], compilerFlags: [] }),
    });
    const { id } = await created.json();
    const embed = await fetch(`${gatewayUrl}/e/${id}`);
    expect(embed.headers.get('content-security-policy')).toBe('frame-ancestors *');
    expect(embed.headers.get('x-frame-options')).toBeNull();
    for (const p of ['/', `/z/${id}`, '/s/s-none', '/api/v1/runtimes', '/healthz']) {
      const r = await fetch(`${gatewayUrl}${p}`);
      expect([p, r.headers.get('content-security-policy'), r.headers.get('x-frame-options')]).toEqual([p, "frame-ancestors 'none'", 'DENY']);
    }

    // Another origin (another port) puts the embed and the editor in frames.
    const site = http.createServer((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(`<!doctype html><iframe id="embed" src="${gatewayUrl}/e/${id}" width="800" height="400"></iframe><iframe id="editor" src="${gatewayUrl}/" width="800" height="400"></iframe>`);
    });
    await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
    const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
    try {
      const page = await context.newPage();
      await page.goto(`http://127.0.0.1:${(site.address() as AddressInfo).port}/`);
      const framed = page.frameLocator('#embed');
      await framed.locator('body[data-ready="1"]').waitFor({ timeout: 30000 });
      expect(await framed.locator('.cm-content').textContent()).toBe('print("framed")');
      await framed.locator('#run').click();
      await framed.locator('body[data-result="ok"]').waitFor({ timeout: 60000 });
      expect(await framed.locator('#out').textContent()).toBe('framed\n');
      // The editor itself is refused in the frame: Chromium shows its error page there instead.
      const editorFrame = (await (await page.$('#editor'))!.contentFrame())!;
      for (let i = 0; i < 300 && !editorFrame.url().startsWith('chrome-error:'); i++) await page.waitForTimeout(100);
      expect(editorFrame.url()).toBe('chrome-error://chromewebdata/');
      expect(await editorFrame.$('#run')).toBeNull();
      await page.screenshot({ path: path.join(ARTIFACTS, 'embed-framed.png') });
    } finally {
      await context.close();
      site.close();
    }
  });

  it('is usable on a phone-sized screen', async () => {
    const page = await openEditor({ viewport: { width: 390, height: 844 }, mobile: true });
    // Nothing sticks out sideways; the editor, Run and the output are on screen.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    for (const sel of ['.cm-editor', '#run', '#lang', '#output']) {
      const box = (await page.locator(sel).boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(390);
      expect(box.height).toBeGreaterThan(20);
    }
    // The Python sample asks for a name: given as stdin at start here.
    await page.fill('#stdin', 'Ada');
    await page.tap('#run');
    await page.waitForSelector('body[data-result]', { timeout: 60000 });
    await page.screenshot({ path: path.join(ARTIFACTS, 'phone.png') });
    expect(await page.getAttribute('body', 'data-result')).toBe('ok');
    expect(await page.textContent('#out')).toContain('Hello, Ada!');
    expect(problemsOf(page)).toEqual([]);
    await page.context().close();
  });
});
