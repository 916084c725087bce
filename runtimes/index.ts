/** The runtimes engine: compile and run untrusted programs in warm, one-shot sandboxes. */
export { createRuntimeEngine, detectHardwareClasses } from './engine';
export * from './types';
export { LANGUAGES, findLanguage } from './languages';
export { LIMITS } from './limits';
