import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap } from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { bracketMatching, defaultHighlightStyle, foldGutter, foldKeymap, indentOnInput, syntaxHighlighting } from '@codemirror/language';
import { lintGutter, lintKeymap, setDiagnostics, type Diagnostic as CmDiagnostic } from '@codemirror/lint';
import { highlightSelectionMatches, searchKeymap } from '@codemirror/search';
import { ChangeSet, Compartment, EditorState, Prec, Transaction, type Extension } from '@codemirror/state';
import { oneDark } from '@codemirror/theme-one-dark';
import {
  crosshairCursor, drawSelection, dropCursor, EditorView, highlightActiveLine, highlightActiveLineGutter, highlightSpecialChars, keymap, lineNumbers, rectangularSelection,
} from '@codemirror/view';
import type { Diagnostic } from './diagnostics';
import { remoteCursors, setRemoteCursor } from './remote-cursors';

/**
 * CodeMirror 6 with one state per file (each keeps its own undo history),
 * and compartments for what the settings change: language, theme, keymap, font size.
 */
export interface EditorOptions {
  dark: boolean; fontSize: number; onChange: () => void; onRun: () => void;
  /** The person moved the cursor or changed the selection in `file`. */
  onCursor?: (file: string, anchor: number, head: number) => void;
}

export function createEditor(parent: HTMLElement, o: EditorOptions) {
  const mode = new Compartment();
  const theme = new Compartment();
  const keys = new Compartment();
  const font = new Compartment();
  const readOnly = new Compartment();
  let locked = false;
  const current: { dark: boolean; vim: Extension; fontSize: number; mode: Extension } = { dark: o.dark, vim: [], fontSize: o.fontSize, mode: [] };
  const states = new Map<string, EditorState>();
  const diagnostics = new Map<string, Diagnostic[]>();
  let active = '';

  const fontTheme = (px: number) => EditorView.theme({ '&': { fontSize: `${px}px` }, '.cm-content, .cm-gutters': { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, monospace' } });
  const config = (): Extension => [
    keys.of(current.vim),
    Prec.highest(keymap.of([{ key: 'Mod-Enter', run: () => (o.onRun(), true) }])),
    lineNumbers(), highlightActiveLineGutter(), highlightSpecialChars(), history(), foldGutter(), drawSelection(), dropCursor(),
    EditorState.allowMultipleSelections.of(true), indentOnInput(), syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
    bracketMatching(), closeBrackets(), autocompletion(), rectangularSelection(), crosshairCursor(), highlightActiveLine(),
    highlightSelectionMatches(), lintGutter(), remoteCursors,
    keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...searchKeymap, ...historyKeymap, ...foldKeymap, ...completionKeymap, ...lintKeymap, indentWithTab]),
    readOnly.of(lockOf(locked)),
    mode.of(current.mode), theme.of(current.dark ? oneDark : []), font.of(fontTheme(current.fontSize)),
    EditorView.updateListener.of((u) => {
      if (u.docChanged) o.onChange();
      const remote = u.transactions.some((t) => t.annotation(Transaction.remote));
      if ((u.selectionSet || u.docChanged) && !remote && o.onCursor) o.onCursor(active, u.state.selection.main.anchor, u.state.selection.main.head);
    }),
  ];

  function lockOf(on: boolean): Extension {
    return on ? [EditorState.readOnly.of(true), EditorView.editable.of(false)] : [];
  }

  const view = new EditorView({ parent, state: EditorState.create({ doc: '', extensions: config() }) });

  /** Applies a reconfiguration to the open file and to every file kept aside. */
  function reconfigure(effects: ReturnType<Compartment['reconfigure']>[]) {
    view.dispatch({ effects });
    for (const [name, s] of states) if (name !== active) states.set(name, s.update({ effects }).state);
  }

  function cmDiagnostics(state: EditorState, list: Diagnostic[]): CmDiagnostic[] {
    return list.filter((d) => d.line >= 1 && d.line <= state.doc.lines).map((d) => {
      const line = state.doc.line(d.line);
      const from = Math.min(line.to, line.from + Math.max(0, (d.column ?? 1) - 1));
      // Mark to the end of the word at the column (or the whole line without one).
      const rest = state.doc.sliceString(from, line.to);
      const word = /^[\w$]+/.exec(rest)?.[0].length ?? 1;
      const to = d.column ? Math.min(line.to, from + word) : line.to;
      return { from, to: Math.max(to, from), severity: d.severity, message: d.message, source: d.file };
    });
  }

  return {
    view,
    /** Replaces every file (a new session, a resync from the server). */
    load(files: { name: string; content: string }[], show = files[0]?.name ?? '') {
      states.clear();
      diagnostics.clear();
      for (const f of files) states.set(f.name, EditorState.create({ doc: f.content, extensions: config() }));
      active = '';
      this.show(show);
    },
    show(name: string) {
      if (active && states.has(active)) states.set(active, view.state);
      const s = states.get(name);
      if (!s) return;
      active = name;
      view.setState(s);
      view.dispatch(setDiagnostics(view.state, cmDiagnostics(view.state, diagnostics.get(name) ?? [])));
    },
    addFile(name: string, content = '') {
      states.set(name, EditorState.create({ doc: content, extensions: config() }));
      this.show(name);
      o.onChange();
    },
    get active() {
      return active;
    },
    files(): { name: string; content: string }[] {
      return [...states.keys()].map((name) => ({ name, content: name === active ? view.state.doc.toString() : states.get(name)!.doc.toString() }));
    },
    setDiagnostics(list: Diagnostic[]) {
      diagnostics.clear();
      for (const d of list) diagnostics.set(d.file, [...(diagnostics.get(d.file) ?? []), d]);
      view.dispatch(setDiagnostics(view.state, cmDiagnostics(view.state, diagnostics.get(active) ?? [])));
    },
    jump(d: Diagnostic) {
      if (d.file !== active) this.show(d.file);
      const [cm] = cmDiagnostics(view.state, [d]);
      if (!cm) return;
      view.dispatch({ selection: { anchor: cm.from }, scrollIntoView: true });
      view.focus();
    },
    /** Another peer's change: applied to each file without entering the person's undo history. */
    applyRemote(changes: Map<string, ChangeSet>, added: { name: string; content: string }[], removed: string[]) {
      const annotations = [Transaction.addToHistory.of(false), Transaction.remote.of(true)];
      for (const [name, c] of changes) {
        if (name === active) view.dispatch({ changes: c, annotations });
        else {
          const st = states.get(name);
          if (st) states.set(name, st.update({ changes: c, annotations }).state);
        }
      }
      for (const f of added) states.set(f.name, EditorState.create({ doc: f.content, extensions: config() }));
      for (const name of removed) if (name !== active) states.delete(name);
    },
    /** Shows a peer's cursor in `file` (and nowhere else); `file` null: the peer left. */
    setPeerCursor(peerId: string, file: string | null, anchor = -1, head = -1) {
      for (const name of new Set([...states.keys(), active].filter(Boolean))) {
        const effects = setRemoteCursor.of(name === file ? { peerId, anchor, head } : { peerId, anchor: -1, head: -1 });
        if (name === active) view.dispatch({ effects });
        else states.set(name, states.get(name)!.update({ effects }).state);
      }
    },
    setMode(ext: Extension) {
      current.mode = ext;
      reconfigure([mode.reconfigure(ext)]);
    },
    setTheme(dark: boolean) {
      current.dark = dark;
      reconfigure([theme.reconfigure(dark ? oneDark : [])]);
    },
    /** Vim keys (loaded on first use: most people never turn them on). */
    async setVim(on: boolean) {
      current.vim = on ? (await import('@replit/codemirror-vim')).vim() : [];
      reconfigure([keys.reconfigure(current.vim)]);
    },
    /** A read-only embed. */
    setReadOnly(on: boolean) {
      locked = on;
      reconfigure([readOnly.reconfigure(lockOf(on))]);
    },
    setFontSize(px: number) {
      current.fontSize = px;
      reconfigure([font.reconfigure(fontTheme(px))]);
    },
  };
}
export type Editor = ReturnType<typeof createEditor>;
