import path from 'node:path';
import express from 'express';

/** The browser editor: a static page that speaks the editor protocol. */
export function mountEditorPage(app: express.Express) {
  app.use('/', express.static(path.join(__dirname, 'page'), { index: 'index.html', maxAge: '5m' }));
}
