"""Test-time references for compare: numpy transcriptions of Kornblith et al.'s CKA code
(the centred-Gram formula, google-research/google-research representation_similarity) and
RSA with scipy (RDM = 1 - Pearson between images, as thingsvision computes it).

usage: reference.py cka|rsa DIR  — DIR holds spec.json and the float64 matrices it names;
prints a JSON list of values, row-major over (A layer, B layer).
"""
import json
import sys

import numpy as np
import scipy.stats


def gram_linear(x):
    return x.dot(x.T)


def center_gram(gram, unbiased=False):
    gram = gram.copy()
    if unbiased:
        n = gram.shape[0]
        np.fill_diagonal(gram, 0)
        means = np.sum(gram, 0, dtype=np.float64) / (n - 2)
        means -= np.sum(means) / (2 * (n - 1))
        gram -= means[:, None]
        gram -= means[None, :]
        np.fill_diagonal(gram, 0)
    else:
        means = np.mean(gram, 0, dtype=np.float64)
        means -= np.mean(means) / 2
        gram -= means[:, None]
        gram -= means[None, :]
    return gram


def cka(gram_x, gram_y, debiased=False):
    gram_x = center_gram(gram_x, unbiased=debiased)
    gram_y = center_gram(gram_y, unbiased=debiased)
    scaled_hsic = gram_x.ravel().dot(gram_y.ravel())
    return scaled_hsic / (np.linalg.norm(gram_x) * np.linalg.norm(gram_y))


def rdm(x):
    return 1 - np.corrcoef(x)


def rsa(x, y, correlation):
    iu = np.triu_indices(x.shape[0], k=1)
    a, b = rdm(x)[iu], rdm(y)[iu]
    if correlation == 'spearman':
        return scipy.stats.spearmanr(a, b).correlation
    return scipy.stats.pearsonr(a, b)[0]


def main():
    what, d = sys.argv[1], sys.argv[2]
    spec = json.load(open(d + '/spec.json'))
    n = spec['n']
    load = lambda layer: np.fromfile(d + '/' + layer['file'], dtype=np.float64).reshape(n, layer['width'])
    xs = [load(l) for l in spec['a']]
    ys = [load(l) for l in spec['b']]
    out = []
    if what == 'cka':
        gx = [gram_linear(x) for x in xs]
        gy = [gram_linear(y) for y in ys]
        out = [cka(a, b, spec.get('debiased', False)) for a in gx for b in gy]
    elif what == 'rsa':
        out = [rsa(a, b, spec['correlation']) for a in xs for b in ys]
    elif what == 'rankdata':
        out = scipy.stats.rankdata(xs[0].ravel()).tolist()
    print(json.dumps([float(v) for v in out]))


main()
