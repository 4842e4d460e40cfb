// node --import this.mjs ...: appends every module the process loads (ESM resolved URLs and
// CommonJS requires) to the file named by $RECORD_LOADS, one a line. For start-up tests.
import { appendFileSync } from 'node:fs';
import Module, { register } from 'node:module';

const file = process.env.RECORD_LOADS;
const hook = `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(${JSON.stringify(file)}, result.url + '\\n');
  return result;
}`;
register(`data:text/javascript,${encodeURIComponent(hook)}`);
const load = Module._load;
Module._load = function (request, parent, isMain) {
  const loaded = load.call(this, request, parent, isMain);
  appendFileSync(file, `require:${Module._resolveFilename(request, parent, isMain)}\n`);
  return loaded;
};
