import type { PageFile } from './live-session';

/**
 * The session's timeline, rebuilt from editor.edits by the gateway
 * (GET /api/v1/sessions/{id}/history and /text?version=N): a slider over the
 * versions with a mark where each run happened (green when it succeeded);
 * scrubbing previews that version read-only, Restore makes it the next version.
 */
interface HistoryView { versions: { version: number; timestampMs: number }[]; runs: { runId: string; version: number; requestedAtMs: number; status: string | null; exitCode: number | null }[] }

export function createHistoryPanel(o: {
  sessionId: () => string | null;
  /** Show a version's text read-only (null: back to the live text). */
  preview: (files: PageFile[] | null) => void;
  /** Make the previewed text the session's next version. */
  restore: () => void;
}) {
  const $ = (id: string) => document.getElementById(id)!;
  const panel = $('history');
  const range = $('history-range') as HTMLInputElement;
  const label = $('history-label');
  const restoreButton = $('history-restore') as HTMLButtonElement;
  let view: HistoryView = { versions: [], runs: [] };
  let timer: ReturnType<typeof setTimeout> | undefined;
  let asked = 0;

  const time = (ms: number) => new Date(ms).toLocaleTimeString();
  function describe(version: number) {
    const v = view.versions.find((x) => x.version === version);
    const runs = view.runs.filter((r) => r.version === version);
    const last = view.versions[view.versions.length - 1]?.version;
    label.textContent = `v${version}${v ? ` · ${time(v.timestampMs)}` : ''}${version === last ? ' (now)' : ''}${runs.map((r) => ` · run ${r.status ?? 'pending'}${r.exitCode !== null ? ` (exit ${r.exitCode})` : ''}`).join('')}`;
  }

  async function show(version: number) {
    const id = o.sessionId();
    if (!id) return;
    const mine = ++asked;
    describe(version);
    const last = view.versions[view.versions.length - 1]?.version;
    if (version === last) {
      o.preview(null);
      restoreButton.disabled = true;
      return;
    }
    const res = await fetch(`/api/v1/sessions/${encodeURIComponent(id)}/text?version=${version}`);
    if (mine !== asked) return;
    if (!res.ok) {
      label.textContent = ((await res.json()) as { error: { message: string } }).error.message;
      return;
    }
    const t = (await res.json()) as { version: number; files: PageFile[] };
    o.preview(t.files);
    restoreButton.disabled = false;
    document.body.dataset.historyVersion = String(t.version);
  }

  async function load() {
    const id = o.sessionId();
    if (!id) return;
    label.textContent = 'reading the history…';
    const res = await fetch(`/api/v1/sessions/${encodeURIComponent(id)}/history`);
    if (!res.ok) {
      label.textContent = ((await res.json()) as { error: { message: string } }).error.message;
      return;
    }
    view = (await res.json()) as HistoryView;
    const first = view.versions[0]?.version ?? 1;
    const last = view.versions[view.versions.length - 1]?.version ?? 1;
    range.min = String(first);
    range.max = String(last);
    range.value = String(last);
    const marks = $('history-runs');
    marks.textContent = '';
    for (const r of view.runs) {
      const m = document.createElement('span');
      m.className = `run ${r.status === 'ok' ? 'ok' : ''}`;
      m.style.left = `${last === first ? 0 : ((r.version - first) / (last - first)) * 100}%`;
      m.title = `v${r.version} · ${time(r.requestedAtMs)} · ${r.status ?? 'pending'}`;
      m.onclick = () => {
        range.value = String(r.version);
        void show(r.version);
      };
      marks.appendChild(m);
    }
    describe(last);
    document.body.dataset.history = String(view.versions.length);
  }

  range.oninput = () => {
    clearTimeout(timer);
    timer = setTimeout(() => void show(Number(range.value)), 120);
  };
  restoreButton.onclick = () => {
    o.restore();
    restoreButton.disabled = true;
    void load();
  };
  $('history-now').onclick = () => {
    o.preview(null);
    restoreButton.disabled = true;
    range.value = range.max;
    describe(Number(range.max));
  };
  return {
    toggle() {
      panel.hidden = !panel.hidden;
      if (panel.hidden) o.preview(null);
      else void load();
    },
  };
}
