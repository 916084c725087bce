import type { RequestHandler } from 'express';

/** The read-only, runnable embed of a share link: the one page other sites may put in a frame. */
export const EMBED_PATH = /^\/e\/[A-Za-z0-9_-]{1,32}$/;

/**
 * Who may frame the gateway's pages: anyone may frame an embed (`/e/<id>`,
 * that is what it is for); nothing else may be framed at all, so the editor,
 * the dashboard and the API cannot be overlaid by another site (clickjacking).
 * Both headers: CSP frame-ancestors for current browsers, X-Frame-Options for old ones.
 */
export function framePolicy(): RequestHandler {
  return (req, res, next) => {
    if (EMBED_PATH.test(req.path)) res.setHeader('Content-Security-Policy', 'frame-ancestors *');
    else {
      res.setHeader('Content-Security-Policy', "frame-ancestors 'none'");
      res.setHeader('X-Frame-Options', 'DENY');
    }
    next();
  };
}
