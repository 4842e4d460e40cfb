/** Small helpers with no cnnpipe knowledge: a seeded random generator and an LRU cache. */
export * from './random.js';
export * from './lru-cache.js';
