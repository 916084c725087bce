import fs from 'node:fs';
import path from 'node:path';
import type * as EtsModule from '@bsull/augurs/ets' with { 'resolution-mode': 'import' };
import type * as MstlModule from '@bsull/augurs/mstl' with { 'resolution-mode': 'import' };

/**
 * augurs ships its models as WebAssembly next to ES-module glue that would
 * fetch the .wasm by URL; Node has the bytes on disk, so each module is
 * initialised once, synchronously, from its file.
 */
// The packages are ES modules; Node 20.19+ (and jest, which transforms them) load them with require.
let modules: { mstl: typeof MstlModule; ets: typeof EtsModule } | undefined;

function wasmBytes(name: string): Buffer {
  return fs.readFileSync(path.join(path.dirname(require.resolve('@bsull/augurs/mstl')), `${name}_bg.wasm`));
}

export function augurs(): { MSTL: typeof MstlModule.MSTL; AutoETS: typeof EtsModule.AutoETS } {
  if (!modules) {
    const mstl = require('@bsull/augurs/mstl') as typeof MstlModule;
    const ets = require('@bsull/augurs/ets') as typeof EtsModule;
    mstl.initSync({ module: wasmBytes('mstl') });
    ets.initSync({ module: wasmBytes('ets') });
    modules = { mstl, ets };
  }
  return { MSTL: modules.mstl.MSTL, AutoETS: modules.ets.AutoETS };
}
