import type { Command } from 'commander';

/**
 * Commands of the service itself (start, bench, load, …) register here, so
 * main.ts keeps only the infrastructure and topic commands.
 */
export function registerCommands(_program: Command, _log: (msg: string) => void): void {}
