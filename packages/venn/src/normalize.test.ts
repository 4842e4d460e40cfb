import { describe, expect, it } from 'vitest';
import { cleanConcept, normalizeConcepts, singularCandidates } from './normalize.js';

describe('normalize', () => {
  it('trims, lowercases and collapses whitespace', () => {
    expect(cleanConcept('  Red   Car ')).toBe('red car');
  });

  it('folds simple plurals onto a singular in use', () => {
    const n = normalizeConcepts(['stripes', 'stripe', 'Stripe ', 'boxes', 'box', 'skies', 'sky', 'red cars', 'red car']);
    expect(n.map.get('stripes')).toBe('stripe');
    expect(n.map.get('Stripe ')).toBe('stripe');
    expect(n.map.get('boxes')).toBe('box');
    expect(n.map.get('skies')).toBe('sky');
    expect(n.map.get('red cars')).toBe('red car');
    expect(n.merged).toBe(5); // 9 spellings -> 4 concepts
    expect(n.groups.get('stripe')).toEqual(['Stripe ', 'stripe', 'stripes']);
  });

  it('leaves words alone whose singular is not in use', () => {
    const n = normalizeConcepts(['glass', 'bus', 'stripes', 'grass', 'gras']);
    expect(n.map.get('glass')).toBe('glass');
    expect(n.map.get('bus')).toBe('bus');
    expect(n.map.get('stripes')).toBe('stripes');
    expect(n.map.get('grass')).toBe('grass'); // 'ss' is not a plural ending
    expect(n.merged).toBe(0);
  });

  it('candidate singulars', () => {
    expect(singularCandidates('skies')).toEqual(['sky', 'skie']);
    expect(singularCandidates('dresses')).toEqual(['dress', 'dresse']);
    expect(singularCandidates('glass')).toEqual([]);
  });
});
