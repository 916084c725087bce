import { AnsiUp } from 'ansi_up';
import type { Diagnostic } from './diagnostics';

/**
 * The output pane: stdout and stderr as they stream (ANSI colours rendered
 * by ansi_up, which escapes the rest), then the result's details, then the
 * problems found in the compiler's or interpreter's messages, each a link to
 * its line.
 */
export function createOutputPane(root: HTMLElement, onJump: (d: Diagnostic) => void) {
  const ansi = { stdout: new AnsiUp(), stderr: new AnsiUp() };
  const body = root.querySelector<HTMLElement>('.out-body')!;
  const details = root.querySelector<HTMLElement>('.out-details')!;
  const problems = root.querySelector<HTMLElement>('.out-problems')!;
  const stick = () => {
    body.scrollTop = body.scrollHeight;
  };

  return {
    clear() {
      body.textContent = '';
      details.textContent = '';
      details.className = 'out-details';
      problems.textContent = '';
    },
    append(data: string, stream: 'stdout' | 'stderr' | 'meta' | 'stdin') {
      const span = document.createElement('span');
      span.className = stream;
      if (stream === 'stdout' || stream === 'stderr') span.innerHTML = ansi[stream].ansi_to_html(data);
      else span.textContent = data;
      body.appendChild(span);
      stick();
    },
    details(text: string, status: string) {
      details.textContent = text;
      details.className = `out-details status-${status}`;
    },
    problems(list: Diagnostic[]) {
      problems.textContent = '';
      for (const d of list) {
        const a = document.createElement('button');
        a.className = `problem ${d.severity}`;
        a.textContent = `${d.file}:${d.line}${d.column ? `:${d.column}` : ''}  ${d.message}`;
        a.onclick = () => onJump(d);
        problems.appendChild(a);
      }
    },
    text: () => body.textContent ?? '',
  };
}
