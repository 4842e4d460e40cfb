#!/usr/bin/env node
// `npm run demo`: runs every study of DESIGN.md on the embedded zoo and images.
// The studies land issue by issue; until then this says what is coming and exits 0.
const studies = [
  ['multi-faceted neurons', 'examples/multifaceted-neurons/'],
  ['affine feature equivalence', 'examples/affine-equivalence/'],
  ['concept comparison', 'examples/concept-venn/'],
];
console.log('cnnpipe demo: the studies are coming (see the open issues):');
for (const [name, path] of studies) console.log(`  - ${name}: ${path}`);
console.log('Meanwhile try:');
console.log(
  "  printf 'layer,unit,description,similarity\\nlayer2,0,dotted,0.2\\n' | npx csv --to-arrow --kind concepts | npx show",
);
