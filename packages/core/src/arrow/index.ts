/**
 * Arrow in and out: reading a tool's input (IPC streams and files, Parquet, foreign tables,
 * compressed IPC), writing its output atomically, column builders and fast column readers,
 * and the non-finite value policy applied while reading. Nothing here knows a table kind.
 */
export * from './input.js';
export * from './output.js';
export * from './io-settings.js';
export * from './foreign.js';
export * from './columns.js';
export * from './utf8-column.js';
export * from './readers.js';
export * from './nonfinite.js';
