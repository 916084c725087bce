import fs from 'node:fs';
import path from 'node:path';
import express from 'express';
import { EDITOR_DIST } from '../editor-web/build';
import { ApiError } from './errors';
import { EMBED_PATH } from './frame-policy';

/**
 * The browser editor (producers/editor-web, built into dist/ at set-up): the
 * page at / (and at the links that open it: /z, /e, /s), its script and chunks under /editor/.
 */
export function mountEditorPage(app: express.Express) {
  const page = path.join(EDITOR_DIST, 'index.html');
  const sendPage = (_req: express.Request, res: express.Response) => {
    if (!fs.existsSync(page)) throw new ApiError(503, 'editor_not_built', 'The editor page is not built; run `npm run setup` (or `npx tsx producers/editor-web/build.ts`).');
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(page);
  };
  app.get('/', sendPage);
  // A shared link (/z/<id>) and its embed (/e/<id>) open the same page, which reads the link.
  app.get(/^\/z\/[A-Za-z0-9_-]{1,32}$/, sendPage);
  app.get(EMBED_PATH, sendPage);
  // A collaboration link (/s/<sessionId>#t=<token>): the token stays in the fragment, never in a request or a log.
  app.get(/^\/s\/[A-Za-z0-9_.:-]{1,128}$/, sendPage);
  // Chunk names carry a content hash; app.js and app.css are revalidated.
  app.use('/editor', express.static(EDITOR_DIST, { index: false, maxAge: '1h', setHeaders: (res, p) => /[\\/]chunks[\\/]/.test(p) || res.setHeader('Cache-Control', 'no-cache') }));
}
