/**
 * The command-line base every tool stands on: the yargs scaffolding with the common flags,
 * one-line errors and exit codes, did-you-mean for unknown flags, and progress on stderr.
 */
export * from './errors.js';
export * from './progress.js';
export * from './tool.js';
export * from './files.js';
