import { parseDiagnostics, type Diagnostic } from './diagnostics';
import { createEditor } from './editor';
import { createHistoryPanel } from './history-panel';
import { pageLanguage, PAGE_LANGUAGES } from './languages';
import { createLiveSession, type PageFile, type ServerMsg } from './live-session';
import { createOutputPane } from './output-pane';
import { loadDraft, loadSettings, saveDraft, saveSettings } from './settings';

/** The page: wires the editor, the live session, the run controls and the output pane together. */
interface RuntimeInfo { language: string; version: string; dependencySets: string[]; hardwareClasses: string[]; compiled: boolean; current?: boolean }

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const settings = loadSettings();
const dark = () => settings.theme === 'dark' || (settings.theme === 'system' && matchMedia('(prefers-color-scheme: dark)').matches);
let runtimes: RuntimeInfo[] = [];
let language = settings.language in PAGE_LANGUAGES ? settings.language : 'python';
let runId: string | null = null;
/**
 * The run message of the run in flight: after a reconnect it is sent again
 * under the same run id (the gateway that was waiting may have died; the one
 * now reached answers it, and the executor runs a run id once), and the
 * output pane is then filled from the result, which carries the whole output.
 */
let pendingRun: Record<string, unknown> | null = null;
let resentRun = false;
/** A run another peer of the session started: its output is shown here too. */
let watching: string | null = null;
/** The other peers in the session (live collaboration). */
const peers = new Set<string>();
let cursorTimer: ReturnType<typeof setTimeout> | undefined;
let started = 0;
/** The live text while an old version is previewed from the history (edits are not sent meanwhile). */
let live: PageFile[] | null = null;

const editor = createEditor($('editor'), {
  dark: dark(), fontSize: settings.fontSize,
  onChange: () => {
    if (live) return;
    session.changed();
    if (session.sessionId) saveDraft({ sessionId: session.sessionId, language, files: editor.files(), token: session.collabToken ?? undefined });
  },
  onRun: () => void run(),
  // Cursor moves go to the peers at most every 80 ms.
  onCursor: (file, anchor, head) => {
    if (live || !peers.size) return;
    clearTimeout(cursorTimer);
    cursorTimer = setTimeout(() => session.cursor(file, anchor, head), 80);
  },
});
const history = createHistoryPanel({
  sessionId: () => session.sessionId,
  preview(files) {
    const tab = editor.active;
    if (files) {
      live ??= editor.files();
      editor.load(files, files.some((f) => f.name === tab) ? tab : files[0]?.name);
      editor.setReadOnly(true);
      document.body.dataset.previewing = '1';
    } else if (live) {
      editor.load(live, live.some((f) => f.name === tab) ? tab : live[0]?.name);
      live = null;
      editor.setReadOnly(!!document.body.dataset.embed);
      delete document.body.dataset.previewing;
    }
    renderTabs();
  },
  restore() {
    // The previewed text stays in the editor and goes to the server as the next version.
    live = null;
    editor.setReadOnly(false);
    delete document.body.dataset.previewing;
    session.changed();
  },
});
const out = createOutputPane($('output'), (d) => editor.jump(d));

const session = createLiveSession({
  url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/editor`,
  files: () => live ?? editor.files(),
  events: {
    status(text, state) {
      const together = peers.size ? ` · ${peers.size + 1} editing` : '';
      $('status').textContent = session?.sessionId ? `${text} · ${session.sessionId.slice(0, 8)}${together}` : text;
      $('status').dataset.state = state;
    },
    opened(m) {
      document.body.dataset.session = m.sessionId;
      if (m.resumed && pendingRun && m.sessionId === pendingRun.sessionId) {
        resentRun = true;
        session.send(pendingRun.message as object);
      } else if (pendingRun && m.sessionId !== pendingRun.sessionId) {
        // The gateway no longer knew the session (a new one holds the same text): nobody can answer the old run.
        out.details('The run\'s session was lost with the connection; press Run again.', 'internal_error');
        endRun();
      }
      if (document.body.dataset.joining) joined(m);
      else if (!m.resumed && editor.files().length === 0) editor.load(m.files);
      saveDraft({ sessionId: m.sessionId, language, files: editor.files(), token: m.collabToken });
    },
    rebased(r) {
      editor.applyRemote(r.apply, r.added, r.removed);
      if (r.added.length || r.removed.length) renderTabs();
    },
    replaced(files) {
      const show = editor.active;
      editor.load(files, files.some((f) => f.name === show) ? show : files[0]?.name);
      renderTabs();
    },
    message: onMessage,
  },
});

// Both at once, before anything waits on them: the runtimes list and the WebSocket.
const runtimesRequest = fetch('/api/v1/runtimes');
session.warm();

/** Joined from a collaboration link: the page takes the session's language and runtime. */
function joined(m: ServerMsg) {
  delete document.body.dataset.joining;
  language = m.language;
  $<HTMLSelectElement>('lang').value = language;
  Object.assign(settings, { version: m.languageVersion, dependencySet: m.dependencySet, hardwareClass: m.hardwareClass });
  runtimeChoices();
  void pageLanguage(language).mode().then((mode) => editor.setMode(mode));
  renderTabs();
}

function onPresence(m: ServerMsg) {
  if (m.state === 'left') {
    peers.delete(m.peerId);
    editor.setPeerCursor(m.peerId, null);
  } else {
    peers.add(m.peerId);
    if (m.file !== undefined) editor.setPeerCursor(m.peerId, m.file, m.anchor, m.head);
  }
  document.body.dataset.peers = String(peers.size);
  session.changed();
}

function onMessage(m: ServerMsg) {
  const shown = (id: string) => id === runId || id === watching;
  if (m.type === 'presence') onPresence(m);
  else if (m.type === 'run_accepted' && m.author) {
    // Another peer pressed Run: everyone in the session sees it (unless this page is running its own).
    if (runId) return;
    watching = m.runId;
    delete document.body.dataset.result;
    out.clear();
    editor.setDiagnostics([]);
    out.details(`v${m.version} run by ${String(m.author).slice(0, 4)}…`, 'submitted');
  } else if (m.type === 'run_accepted') out.append('', 'meta');
  else if (m.type === 'queued' && m.runId === runId) out.details(`queued: position ${m.position}${m.expectedStartMs ? `, expected to start in ${Math.max(0, Math.round((m.expectedStartMs - Date.now()) / 100) / 10)} s` : ''}`, 'queued');
  else if (m.type === 'output' && shown(m.runId)) {
    if (!document.body.dataset.running && !watching) out.details('running…', 'running');
    out.append(m.data, m.stream);
  } else if (m.type === 'result' && shown(m.runId)) finish(m.result);
  else if (m.type === 'error' && /^(collab_token_required|invalid_collab_token|unknown_session)$/.test(m.code) && document.body.dataset.joining) {
    delete document.body.dataset.joining;
    notice(`This collaboration link cannot be joined: ${m.message} Here is a new program instead.`);
    newSession(false);
  } else if (m.type === 'error') {
    out.append(`error ${m.code}: ${m.message}\n`, 'stderr');
    if (runId && !document.body.dataset.accepted) endRun();
  }
}

const fmtMs = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`);
const fmtBytes = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;

function finish(r: any) {
  // Chunks sent while the page was away are missing: the result's output replaces what arrived.
  if (resentRun) out.clear();
  const stage = r.run ?? r.compile;
  const parts = [r.status.replace('_', ' ')];
  if (stage) {
    if (stage.signal) parts.push(`signal ${stage.signal}`);
    else if (stage.exitCode !== null) parts.push(`exit ${stage.exitCode}`);
    parts.push(`${fmtMs(stage.wallMs)} wall`, `${fmtMs(stage.cpuMs)} CPU`, `${fmtBytes(stage.peakMemoryBytes)} peak`);
  }
  if (r.compile && r.run) parts.push(`compile ${fmtMs(r.compile.wallMs)}`);
  if (r.cacheHit) parts.push('compile cache hit');
  parts.push(`queued ${fmtMs(r.queueWaitMs)}`, `${fmtMs(r.totalMs)} end to end`);
  if (r.message) parts.push(r.message);
  if (stage?.stdoutTruncated || stage?.stderrTruncated) parts.push('output truncated');
  if (r.status === 'time_limit') parts.push('output above is what arrived before the limit');
  out.details(parts.join(' · '), r.status);
  // Output that was not streamed (the compile stage, or a run whose chunks were lost) comes from the result.
  if (!out.text() && r.compile && r.compile.status !== 'ok') out.append(r.compile.stderr + r.compile.stdout, 'stderr');
  else if (!out.text() && r.run) {
    out.append(r.run.stdout, 'stdout');
    out.append(r.run.stderr, 'stderr');
  }
  const files = editor.files();
  const found: Diagnostic[] = [];
  if (r.compile && r.compile.status !== 'ok') found.push(...parseDiagnostics(language, `${r.compile.stderr}\n${r.compile.stdout}`, files));
  if (r.run && r.status !== 'ok') found.push(...parseDiagnostics(language, r.run.stderr, files));
  editor.setDiagnostics(found);
  out.problems(found);
  document.body.dataset.result = r.status;
  endRun();
}

function endRun() {
  runId = null;
  pendingRun = null;
  resentRun = false;
  watching = null;
  delete document.body.dataset.running;
  delete document.body.dataset.accepted;
  $<HTMLButtonElement>('stop').disabled = true;
  $<HTMLInputElement>('live').disabled = true;
}

async function run() {
  if (runId) return;
  watching = null;
  runId = `r-${crypto.randomUUID()}`;
  delete document.body.dataset.result;
  document.body.dataset.running = '1';
  started = performance.now();
  out.clear();
  editor.setDiagnostics([]);
  out.details('saving…', 'saving');
  $<HTMLButtonElement>('stop').disabled = false;
  try {
    const version = await session.saved();
    const stdin = $<HTMLTextAreaElement>('stdin').value;
    const message = {
      type: 'run', runId, version, stdin, args: split($<HTMLInputElement>('args').value), compilerFlags: split($<HTMLInputElement>('flags').value),
      ...(stdin ? {} : { interactive: true }),
    };
    pendingRun = { sessionId: session.sessionId, message };
    session.send(message);
    out.details(`submitted v${version}…`, 'submitted');
    if (!stdin) $<HTMLInputElement>('live').disabled = false;
  } catch (err) {
    out.details((err as Error).message, 'internal_error');
    endRun();
  }
}

function stop() {
  if (runId) session.send({ type: 'cancel', runId });
}

function renderTabs() {
  const nav = $('tabs');
  nav.textContent = '';
  for (const f of editor.files()) {
    const b = document.createElement('button');
    b.textContent = f.name;
    b.className = f.name === editor.active ? 'active' : '';
    b.onclick = () => {
      editor.show(f.name);
      renderTabs();
    };
    nav.appendChild(b);
  }
  const add = document.createElement('button');
  add.textContent = '+';
  add.title = 'add a file';
  add.onclick = () => {
    const suggested = pageLanguage(language).newFile(editor.files().length);
    const name = prompt('File name', suggested)?.trim();
    if (!name || editor.files().some((f) => f.name === name) || !/^[\w.-]{1,128}$/.test(name)) return;
    editor.addFile(name);
    renderTabs();
  };
  nav.appendChild(add);
}

function fill(select: HTMLSelectElement, values: { value: string; label: string }[], chosen: string) {
  select.textContent = '';
  for (const v of values) select.appendChild(Object.assign(document.createElement('option'), { value: v.value, textContent: v.label }));
  select.value = values.some((v) => v.value === chosen) ? chosen : values[0]?.value ?? '';
}

function runtimeChoices() {
  const versions = runtimes.filter((r) => r.language === language);
  // Unless the user chose one, the version new sessions get (`conveyor runtimes set-current`).
  fill($('version'), versions.map((r) => ({ value: r.version, label: r.current && versions.length > 1 ? `${r.version} (current)` : r.version })), settings.version || (versions.find((r) => r.current)?.version ?? ''));
  const info = versions.find((r) => r.version === $<HTMLSelectElement>('version').value) ?? versions[0];
  fill($('depset'), (info?.dependencySets ?? []).map((d) => ({ value: d, label: d })), settings.dependencySet);
  fill($('hw'), (info?.hardwareClasses ?? ['x86_64']).map((h) => ({ value: h, label: h })), settings.hardwareClass);
}

const spec = () => ({ language, version: $<HTMLSelectElement>('version').value || undefined, dependencySet: $<HTMLSelectElement>('depset').value || undefined, hardwareClass: $<HTMLSelectElement>('hw').value || undefined });

function remember() {
  // A link or an embed shows someone else's choices: they are not saved as this person's settings.
  if (document.body.dataset.link) return;
  Object.assign(settings, {
    language, version: $<HTMLSelectElement>('version').value, dependencySet: $<HTMLSelectElement>('depset').value, hardwareClass: $<HTMLSelectElement>('hw').value,
    args: $<HTMLInputElement>('args').value, compilerFlags: $<HTMLInputElement>('flags').value, stdin: $<HTMLTextAreaElement>('stdin').value,
  });
  saveSettings(settings);
}

/** A new session in another language starts from that language's sample; a version or class change keeps the text. */
function newSession(keepText: boolean) {
  const chosen = language;
  void pageLanguage(language).mode().then((m) => chosen === language && editor.setMode(m));
  if (!keepText) editor.load([{ name: pageLanguage(language).mainFile, content: pageLanguage(language).sample }]);
  renderTabs();
  remember();
  session.open(spec());
}

function liveKeys(e: KeyboardEvent) {
  const input = e.target as HTMLInputElement;
  if (!runId) return;
  if (e.key === 'Enter') {
    const line = `${input.value}\n`;
    session.send({ type: 'stdin', runId, data: line });
    out.append(line, 'stdin');
    input.value = '';
    e.preventDefault();
  } else if (e.ctrlKey && e.key.toLowerCase() === 'd') {
    if (input.value) session.send({ type: 'stdin', runId, data: input.value });
    session.send({ type: 'stdin', runId, data: '', eof: true });
    out.append(`${input.value}⏎ [end of input]\n`, 'stdin');
    input.value = '';
    input.disabled = true;
    e.preventDefault();
  } else if (e.ctrlKey && e.key.toLowerCase() === 'c' && input.selectionStart === input.selectionEnd) {
    session.send({ type: 'signal', runId, signal: 'SIGINT' });
    out.append('^C\n', 'stdin');
    e.preventDefault();
  }
}

const split = (s: string) => (s.trim() ? s.trim().split(/\s+/) : []);

/** Share: the whole state (language, exact toolchain, dependency set, class, files, stdin, args, flags) under an id derived from it. */
async function share() {
  const body = { ...spec(), files: editor.files(), stdin: $<HTMLTextAreaElement>('stdin').value, args: split($<HTMLInputElement>('args').value), compilerFlags: split($<HTMLInputElement>('flags').value) };
  const res = await fetch('/api/v1/links', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const j = await res.json();
  const dialog = $<HTMLDialogElement>('share-dialog');
  $('share-status').textContent = res.ok ? '' : j.error.message;
  $<HTMLInputElement>('share-url').value = res.ok ? `${location.origin}${j.url}` : '';
  $<HTMLInputElement>('share-embed').value = res.ok ? `<iframe src="${location.origin}${j.embedUrl}" width="800" height="400"></iframe>` : '';
  $<HTMLInputElement>('share-token').value = res.ok ? j.deleteToken : '';
  $('share-delete').onclick = async () => {
    const del = await fetch(`/api/v1/links/${j.id}`, { method: 'DELETE', headers: { 'x-delete-token': $<HTMLInputElement>('share-token').value } });
    $('share-status').textContent = del.status === 204 ? 'Deleted: the link no longer opens.' : ((await del.json()) as { error: { message: string } }).error.message;
  };
  document.body.dataset.shared = res.ok ? j.id : 'error';
  dialog.showModal();
}

/** Invite: the session's collaboration link (its id and token); whoever opens it edits this session live. */
function invite() {
  if (!session.sessionId || !session.collabToken) return;
  $<HTMLInputElement>('invite-url').value = `${location.origin}/s/${encodeURIComponent(session.sessionId)}#t=${session.collabToken}`;
  $<HTMLDialogElement>('invite-dialog').showModal();
  $<HTMLInputElement>('invite-url').select();
}

/** Opens a shared link (/z/<id>) or its embed (/e/<id>): a new session with that state and the toolchain it was made with. */
async function openLink(kind: string, id: string): Promise<boolean> {
  const res = await fetch(`/api/v1/links/${id}`);
  if (!res.ok) {
    notice(res.status === 404 ? `The link ${id} does not exist or was deleted; here is a new program instead.` : `The link ${id} could not be read (${res.status}).`);
    return false;
  }
  const l = await res.json();
  language = l.language;
  $<HTMLSelectElement>('lang').value = language;
  settings.version = l.toolchain.runsWith ?? '';
  settings.dependencySet = l.dependencySet;
  settings.hardwareClass = l.hardwareClass;
  runtimeChoices();
  $<HTMLInputElement>('args').value = l.args.join(' ');
  $<HTMLInputElement>('flags').value = l.compilerFlags.join(' ');
  $<HTMLTextAreaElement>('stdin').value = l.stdin;
  if (l.toolchain.notice) notice(l.toolchain.notice);
  if (kind === 'e') {
    document.body.dataset.embed = '1';
    $<HTMLAnchorElement>('open-full').href = `/z/${id}`;
    if (!new URLSearchParams(location.search).has('edit')) editor.setReadOnly(true);
  }
  editor.load(l.files);
  void pageLanguage(language).mode().then((m) => editor.setMode(m));
  renderTabs();
  session.open(spec());
  document.body.dataset.link = id;
  return true;
}

function notice(text: string) {
  $('notice').textContent = text;
  $('notice').hidden = false;
}

async function start() {
  document.documentElement.dataset.theme = dark() ? 'dark' : 'light';
  $<HTMLSelectElement>('theme').value = settings.theme;
  $<HTMLInputElement>('vim').checked = settings.keymap === 'vim';
  $<HTMLInputElement>('font').value = String(settings.fontSize);
  $<HTMLInputElement>('args').value = settings.args;
  $<HTMLInputElement>('flags').value = settings.compilerFlags;
  $<HTMLTextAreaElement>('stdin').value = settings.stdin;
  const res = await runtimesRequest;
  runtimes = ((await res.json()) as { runtimes: RuntimeInfo[] }).runtimes;
  const languages = [...new Set(runtimes.map((r) => r.language))].filter((l) => l in PAGE_LANGUAGES);
  fill($('lang'), languages.map((l) => ({ value: l, label: pageLanguage(l).label })), language);
  language = $<HTMLSelectElement>('lang').value;
  runtimeChoices();

  $('lang').onchange = () => {
    language = $<HTMLSelectElement>('lang').value;
    settings.version = settings.dependencySet = '';
    runtimeChoices();
    newSession(false);
  };
  $('version').onchange = () => {
    settings.version = $<HTMLSelectElement>('version').value;
    runtimeChoices();
    newSession(true);
  };
  for (const id of ['depset', 'hw']) $(id).onchange = () => newSession(true);
  for (const id of ['args', 'flags', 'stdin']) $(id).onchange = remember;
  $('run').onclick = () => void run();
  $('stop').onclick = stop;
  $('share').onclick = () => void share();
  $('invite').onclick = invite;
  $('history-toggle').onclick = () => history.toggle();
  $('live').onkeydown = liveKeys;
  $('theme').onchange = () => {
    settings.theme = $<HTMLSelectElement>('theme').value as typeof settings.theme;
    document.documentElement.dataset.theme = dark() ? 'dark' : 'light';
    editor.setTheme(dark());
    saveSettings(settings);
  };
  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => $('theme').onchange?.(new Event('change')));
  $('vim').onchange = () => {
    settings.keymap = $<HTMLInputElement>('vim').checked ? 'vim' : 'default';
    void editor.setVim(settings.keymap === 'vim');
    saveSettings(settings);
  };
  $('font').onchange = () => {
    settings.fontSize = Math.min(28, Math.max(10, Number($<HTMLInputElement>('font').value) || 14));
    editor.setFontSize(settings.fontSize);
    saveSettings(settings);
  };
  // Ctrl/Cmd+Enter runs from anywhere on the page, not only inside the editor.
  document.addEventListener('keydown', (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') {
      e.preventDefault();
      void run();
    }
  });

  if (settings.keymap === 'vim') void editor.setVim(true);
  const draft = loadDraft();
  const link = /^\/(z|e)\/([A-Za-z0-9_-]{1,32})$/.exec(location.pathname);
  const together = /^\/s\/([A-Za-z0-9_.:-]{1,128})$/.exec(location.pathname);
  if (together) {
    // A collaboration link: the session's text, language and runtime come from the server.
    document.body.dataset.joining = '1';
    document.body.dataset.link = together[1]!;
    editor.load([]);
    session.resume(decodeURIComponent(together[1]!), null, new URLSearchParams(location.hash.slice(1)).get('t') ?? undefined);
  } else if (link && (await openLink(link[1]!, link[2]!))) {
    /* opened from the link */
  } else if (draft && draft.language === language && draft.files.length) {
    editor.load(draft.files);
    void pageLanguage(language).mode().then((m) => editor.setMode(m));
    renderTabs();
    session.resume(draft.sessionId, spec(), draft.token);
  } else newSession(false);
  document.body.dataset.ready = '1';
  (window as unknown as { conveyor: object }).conveyor = { session, editor, startedAt: started };
}

void start();
