import { StateEffect, StateField, type Extension, type Range } from '@codemirror/state';
import { Decoration, EditorView, WidgetType, type DecorationSet } from '@codemirror/view';

/**
 * The other peers' cursors and selections in one file: positions are mapped
 * through every change (the person's typing and remote versions), so a cursor
 * stays where its peer is until the peer reports it again.
 */
export interface RemoteCursor { peerId: string; anchor: number; head: number }

/** Sets (or, with `anchor: -1`, removes) one peer's cursor. */
export const setRemoteCursor = StateEffect.define<RemoteCursor>();

/** A stable colour per peer, from its id. */
export function peerColor(peerId: string): string {
  let h = 0;
  for (const c of peerId) h = (h * 31 + c.charCodeAt(0)) % 360;
  return `hsl(${h}, 70%, 50%)`;
}

class Caret extends WidgetType {
  constructor(readonly peerId: string) {
    super();
  }
  override eq(other: Caret) {
    return other.peerId === this.peerId;
  }
  toDOM() {
    const el = document.createElement('span');
    el.className = 'cm-remote-caret';
    el.dataset.peer = this.peerId;
    el.style.borderLeftColor = peerColor(this.peerId);
    const label = el.appendChild(document.createElement('span'));
    label.className = 'cm-remote-label';
    label.textContent = this.peerId.slice(0, 4);
    label.style.background = peerColor(this.peerId);
    return el;
  }
  override ignoreEvent() {
    return true;
  }
}

function decorations(cursors: RemoteCursor[]): DecorationSet {
  const ranges: Range<Decoration>[] = [];
  for (const c of cursors) {
    const from = Math.min(c.anchor, c.head);
    const to = Math.max(c.anchor, c.head);
    if (to > from) ranges.push(Decoration.mark({ class: 'cm-remote-selection', attributes: { style: `background-color: ${peerColor(c.peerId)}33` } }).range(from, to));
    ranges.push(Decoration.widget({ widget: new Caret(c.peerId), side: 1 }).range(c.head));
  }
  return Decoration.set(ranges, true);
}

const field = StateField.define<{ cursors: RemoteCursor[]; deco: DecorationSet }>({
  create: () => ({ cursors: [], deco: Decoration.none }),
  update(value, tr) {
    let cursors = value.cursors;
    let changed = false;
    if (tr.docChanged) {
      cursors = cursors.map((c) => ({ ...c, anchor: tr.changes.mapPos(c.anchor), head: tr.changes.mapPos(c.head) }));
      changed = true;
    }
    for (const e of tr.effects) {
      if (!e.is(setRemoteCursor)) continue;
      const len = tr.state.doc.length;
      cursors = cursors.filter((c) => c.peerId !== e.value.peerId);
      if (e.value.anchor >= 0) cursors.push({ peerId: e.value.peerId, anchor: Math.min(e.value.anchor, len), head: Math.min(e.value.head, len) });
      changed = true;
    }
    return changed ? { cursors, deco: decorations(cursors) } : value;
  },
  provide: (f) => EditorView.decorations.from(f, (v) => v.deco),
});

export const remoteCursors: Extension = [
  field,
  EditorView.baseTheme({
    '.cm-remote-caret': { position: 'relative', borderLeft: '2px solid', marginLeft: '-1px', marginRight: '-1px' },
    '.cm-remote-label': { position: 'absolute', top: '-1.1em', left: '-2px', fontSize: '10px', lineHeight: '1.1em', color: '#fff', padding: '0 2px', borderRadius: '2px', whiteSpace: 'nowrap', pointerEvents: 'none' },
  }),
];
