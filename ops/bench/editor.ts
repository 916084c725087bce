import { chromium } from 'playwright-core';
import { BUNDLE_BUDGET_GZIP_BYTES, buildEditor } from '../../producers/editor-web/build';
import { r1, summarize } from '../load/stats';
import type { ReportSection } from './section';

/**
 * The browser editor: its bundle against the budget, and time to interactive
 * on localhost in Debian's Chromium — from navigation start until the editor
 * is rendered with its language and the session is open and saved (the person
 * can type and press Run) — cold (fresh profile) and warm (reload, cached).
 * Baseline in the same run: a fresh context loading the gateway's /healthz
 * (browser start-up of a tab plus one request, no script).
 */
export async function benchEditor(opts: { url: string; iterations: number; onProgress?: (m: string) => void }): Promise<ReportSection> {
  const say = opts.onProgress ?? (() => undefined);
  const { sizes } = await buildEditor();
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  const cold: number[] = [];
  const warm: number[] = [];
  const base: number[] = [];
  const n = Math.max(5, Math.min(opts.iterations, 40));
  try {
    for (let i = 0; i < n; i++) {
      const bctx = await browser.newContext();
      const bpage = await bctx.newPage();
      const b0 = performance.now();
      await bpage.goto(`${opts.url}/healthz`, { waitUntil: 'load' });
      base.push(performance.now() - b0);
      await bctx.close();

      const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await ctx.newPage();
      const ready = async () => {
        const t0 = performance.now();
        await page.goto(`${opts.url}/`, { waitUntil: 'commit' });
        await page.waitForSelector('body[data-ready="1"] .cm-content', { timeout: 30000 });
        await page.waitForSelector('#status[data-state="saved"]', { timeout: 30000 });
        // The language's parser chunk has highlighted the sample.
        await page.waitForSelector('.cm-line span', { timeout: 30000 });
        return performance.now() - t0;
      };
      cold.push(await ready());
      warm.push(await ready());
      await ctx.close();
    }
  } finally {
    await browser.close();
  }
  const c = summarize(cold);
  const w = summarize(warm);
  const b = summarize(base);
  say(`time to interactive: cold p50 ${r1(c.p50)} ms, warm p50 ${r1(w.p50)} ms, baseline p50 ${r1(b.p50)} ms`);
  const kib = (x: number) => r1(x / 1024);
  return {
    name: 'editor',
    tables: [
      {
        title: `Editor bundle (budget for the first load: ${kib(BUNDLE_BUDGET_GZIP_BYTES)} KiB gzip)`,
        columns: ['part', 'KiB', 'KiB gzip'],
        rows: [['first load (script, static chunks, css, page)', kib(sizes.initial), kib(sizes.initialGzip)], [`with all ${sizes.chunks} lazy chunks (8 languages' parsers, vim)`, kib(sizes.all), kib(sizes.allGzip)]],
      },
      {
        title: `Time to interactive on localhost, ${n} loads each (ms; ratio = editor / baseline)`,
        columns: ['load', 'median', 'p99', 'baseline median', 'baseline p99', 'ratio median', 'ratio p99'],
        rows: [
          ['cold (fresh profile)', r1(c.p50), r1(c.p99), r1(b.p50), r1(b.p99), r1(c.p50 / b.p50), r1(c.p99 / b.p99)],
          ['warm (reload, cached)', r1(w.p50), r1(w.p99), r1(b.p50), r1(b.p99), r1(w.p50 / b.p50), r1(w.p99 / b.p99)],
        ],
      },
    ],
    samples: { 'editor cold load': cold, 'editor warm load': warm, 'baseline /healthz': base },
  };
}
