/**
 * The table kinds of the design: each kind's columns and types, the cnnpipe.* schema
 * metadata that travels from input to output, and the class list a table or model carries.
 */
export * from './metadata.js';
export * from './column-types.js';
export * from './specs.js';
export * from './class-list.js';
