#!/usr/bin/env node
// Entry point of `npx conveyor`: runs the TypeScript CLI through tsx so there
// is no separate build step between editing a file and running it.
require('tsx/cjs');
require('./main.ts');
