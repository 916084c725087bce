import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import type { NextFunction, Request, Response } from 'express';
import { repoRoot } from '../../topics/ground/paths';
import { ApiError } from './errors';

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

/** The paths and methods docs/openapi.yaml declares, as matchers: the spec is the table. */
export function specMethods(specFile = path.join(repoRoot, 'docs', 'openapi.yaml')): { pattern: RegExp; methods: string[] }[] {
  const doc = yaml.load(fs.readFileSync(specFile, 'utf8')) as { paths: Record<string, Record<string, unknown>> };
  return Object.entries(doc.paths).map(([p, ops]) => {
    const methods = Object.keys(ops).filter((m) => HTTP_METHODS.includes(m)).map((m) => m.toUpperCase());
    if (methods.includes('GET') && !methods.includes('HEAD')) methods.push('HEAD');
    const pattern = new RegExp(`^${p.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}/?$`);
    return { pattern, methods };
  });
}

/**
 * Answers a known path asked with a method the spec does not list: 405
 * method_not_allowed with an Allow header, instead of a 404 that suggests the
 * path does not exist. Mounted after every route, before the 404 handler.
 */
export function methodNotAllowed(table = specMethods()) {
  return (req: Request, res: Response, next: NextFunction) => {
    const entry = table.find((e) => e.pattern.test(req.path));
    if (!entry || entry.methods.includes(req.method)) return next();
    res.setHeader('Allow', entry.methods.join(', '));
    next(new ApiError(405, 'method_not_allowed', `${req.method} is not allowed on ${req.path}; use ${entry.methods.join(' or ')}.`));
  };
}
