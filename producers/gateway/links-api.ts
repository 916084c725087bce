import { Router } from 'express';
import { z } from 'zod';
import type { Catalog } from './runtime-catalog';
import { ApiError, badRequest } from './errors';
import type { RateLimiter } from './rate-limiter';
import { clientOf } from './client-key';
import type { GatewaySettings } from './settings';
import { tokenMatches, type LinkStore } from './share-links';
import type { ShareLink } from '../../topics/types';
import { fileSchema } from './protocol';

/**
 * Short links (docs/openapi.yaml): POST /api/v1/links stores an editor state
 * and returns /z/<id> with a delete token; GET reads it (saying plainly when its
 * toolchain version is gone and which one it opens with); DELETE with the token removes it.
 */
const linkRequest = z.object({
  language: z.string().min(1).max(64),
  version: z.string().max(32).optional(),
  dependencySet: z.string().max(64).optional(),
  hardwareClass: z.string().max(32).optional(),
  files: z.array(fileSchema).min(1),
  stdin: z.string().default(''),
  args: z.array(z.string().max(4096)).default([]),
  compilerFlags: z.array(z.string().max(256)).default([]),
}).strict();

/** The toolchain a link opens with: its own exact version when it still exists, otherwise the current one, said plainly. */
export function toolchainOf(catalog: Catalog, l: ShareLink) {
  const versions = catalog.runtimes().filter((r) => r.language === l.language);
  if (versions.some((r) => r.version === l.languageVersion)) return { available: true, runsWith: l.languageVersion, notice: null };
  const current = catalog.currentVersion(l.language) ?? null;
  return {
    available: false, runsWith: current,
    notice: current
      ? `This link was made with ${l.language} ${l.languageVersion}, which is no longer available; it opens with ${l.language} ${current}.`
      : `This link was made with ${l.language} ${l.languageVersion}; ${l.language} is no longer available.`,
  };
}

export function publicLink(catalog: Catalog, l: ShareLink) {
  return {
    id: l.linkId, url: `/z/${l.linkId}`, embedUrl: `/e/${l.linkId}`, createdAtMs: l.createdAtMs, language: l.language, version: l.languageVersion,
    dependencySet: l.dependencySet, hardwareClass: l.hardwareClass, files: l.files, stdin: l.stdin, args: l.args, compilerFlags: l.compilerFlags,
    toolchain: toolchainOf(catalog, l),
  };
}

export function linksApi(deps: { catalog: Catalog; links: LinkStore; limiter: RateLimiter; settings: GatewaySettings }) {
  const { catalog, links, limiter, settings } = deps;
  const r = Router();
  const find = (id: string) => {
    const l = /^[A-Za-z0-9_-]{1,32}$/.test(id) ? links.get(id) : undefined;
    if (!l) throw new ApiError(404, 'unknown_link', `There is no link ${id}; it may have been deleted.`);
    return l;
  };

  r.post('/', async (req, res) => {
    const parsed = linkRequest.safeParse(req.body ?? {});
    if (!parsed.success) throw badRequest('invalid_request', `Invalid link: ${parsed.error.issues[0]!.path.join('.') || 'body'}: ${parsed.error.issues[0]!.message}.`);
    limiter.take(clientOf(req), 'link', settings.RATE_LINKS_PER_MINUTE / 60, settings.RATE_LINKS_BURST);
    const b = parsed.data;
    const runtime = catalog.resolve(b.language, b.version, b.dependencySet, b.hardwareClass);
    if (b.files.length > settings.MAX_FILES) throw badRequest('too_many_files', `A link holds at most ${settings.MAX_FILES} files.`);
    const state = { language: runtime.language, languageVersion: runtime.version, dependencySet: runtime.dependencySet, hardwareClass: runtime.hardwareClass, files: b.files, stdin: b.stdin, args: b.args, compilerFlags: b.compilerFlags };
    const bytes = Buffer.byteLength(JSON.stringify(state));
    if (bytes > settings.MAX_LINK_BYTES) throw new ApiError(413, 'link_too_large', `A shared state is limited to ${settings.MAX_LINK_BYTES} bytes; this one has ${bytes}.`);
    const { link, deleteToken, created } = await links.put(state);
    res.status(created ? 201 : 200).json({ ...publicLink(catalog, link), deleteToken });
  });

  r.get('/:id', (req, res) => {
    res.json(publicLink(catalog, find(req.params.id)));
  });

  r.delete('/:id', async (req, res) => {
    const l = find(req.params.id);
    const token = String(req.get('x-delete-token') ?? (req.body as { deleteToken?: unknown } | undefined)?.deleteToken ?? '');
    if (!token || !tokenMatches(token, l.deleteTokenHashes)) throw new ApiError(403, 'invalid_delete_token', 'The delete token does not match this link; only its creator can delete it.');
    await links.remove(l.linkId);
    res.status(204).end();
  });
  return r;
}
