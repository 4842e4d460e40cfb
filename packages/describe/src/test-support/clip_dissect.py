"""numpy transcription of CLIP-Dissect's similarity functions (Trustworthy-ML-Lab/CLIP-dissect,
similarity.py: soft_wpmi, wpmi, cos_similarity_cubed; utils.get_similarity_from_activations;
describe_neurons.py's argmax), the test-time and benchmark reference for `describe`.

argv: DIR [--dtype float64|float32] [--keep K] [--full]. DIR holds meta.json
{n, d, c, layers: [[name, k]], method, top_k, a, lam, min_prob, p_start, p_end, min_norm}
and raw little-endian float32 files E.f32 (n x d), T.f32 (c x d), <layer>.f32 (n x k).
Writes DIR/result.json: per layer, per neuron, the keep+1 best concept indices and scores
(best first, ties to the earlier concept), and with --full the whole K x C matrix.
"""
import json
import sys

import numpy as np

args = sys.argv[1:]
d = args[0]
dtype = np.float64
keep = 0
full = False
i = 1
while i < len(args):
    if args[i] == "--dtype":
        dtype = np.dtype(args[i + 1]).type
        i += 2
    elif args[i] == "--keep":
        keep = int(args[i + 1])
        i += 2
    elif args[i] == "--full":
        full = True
        i += 1
    else:
        raise SystemExit(f"unknown argument {args[i]}")

meta = json.load(open(f"{d}/meta.json"))
n, dim, c = meta["n"], meta["d"], meta["c"]


def load(name, rows, cols):
    return np.fromfile(f"{d}/{name}.f32", dtype=np.float32).reshape(rows, cols).astype(dtype)


def softmax(x, axis):
    # torch.nn.functional.softmax: exp(x - max) / sum
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def logsumexp(x, axis):
    m = x.max(axis=axis, keepdims=True)
    return m + np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def topk_indices(target_feats, top_k):
    # torch.topk(target_feats, dim=0, k=top_k)[1]; ties: the earlier image first
    return np.argsort(-target_feats, axis=0, kind="stable")[:top_k]


def cos_similarity_cubed(clip_feats, target_feats, min_norm=1e-3):
    clip_feats = clip_feats - np.mean(clip_feats, axis=0, keepdims=True)
    target_feats = target_feats - np.mean(target_feats, axis=0, keepdims=True)
    clip_feats = clip_feats**3
    target_feats = target_feats**3
    clip_feats = clip_feats / np.clip(np.linalg.norm(clip_feats, axis=0, keepdims=True), min_norm, None)
    target_feats = target_feats / np.clip(np.linalg.norm(target_feats, axis=0, keepdims=True), min_norm, None)
    return target_feats.T @ clip_feats


def soft_wpmi(clip_feats, target_feats, top_k=100, a=10, lam=1, min_prob=1e-7, p_start=0.998, p_end=0.97):
    clip_feats = softmax(a * clip_feats, axis=1)
    inds = topk_indices(target_feats, top_k)
    # torch.arange(top_k)/top_k*(p_start-p_end) is float32 in the original: the same float32 weights here
    f32 = np.float32
    p_in_examples = (f32(p_start) - (np.arange(top_k, dtype=f32) / f32(top_k) * f32(p_start - p_end)))[:, None].astype(clip_feats.dtype)
    prob_d_given_e = np.empty((target_feats.shape[1], clip_feats.shape[1]), dtype=clip_feats.dtype)
    for orig_id in range(target_feats.shape[1]):
        curr = clip_feats[inds[:, orig_id]]
        curr = 1 + p_in_examples * (curr - 1)
        prob_d_given_e[orig_id] = np.sum(np.log(curr + min_prob), axis=0)
    prob_d = logsumexp(prob_d_given_e, axis=0) - np.log(prob_d_given_e.shape[0])
    return prob_d_given_e - lam * prob_d


def wpmi(clip_feats, target_feats, top_k=28, a=2, lam=0.6, min_prob=1e-7):
    clip_feats = softmax(a * clip_feats, axis=1)
    inds = topk_indices(target_feats, top_k)
    prob_d_given_e = np.empty((target_feats.shape[1], clip_feats.shape[1]), dtype=clip_feats.dtype)
    for orig_id in range(target_feats.shape[1]):
        curr = clip_feats[inds[:, orig_id]]
        prob_d_given_e[orig_id] = np.sum(np.log(curr + min_prob), axis=0)
    prob_d = logsumexp(prob_d_given_e, axis=0) - np.log(prob_d_given_e.shape[0])
    return prob_d_given_e - lam * prob_d


# utils.get_similarity_from_activations: P = normalised image features . normalised text features'
image_features = load("E", n, dim)
text_features = load("T", c, dim)
image_features /= np.linalg.norm(image_features, axis=-1, keepdims=True)
text_features /= np.linalg.norm(text_features, axis=-1, keepdims=True)
clip_feats = image_features @ text_features.T
del image_features, text_features

out = {"layers": []}
for name, k in meta["layers"]:
    target_feats = load(name, n, k)
    method = meta["method"]
    if method == "soft-wpmi":
        sim = soft_wpmi(clip_feats, target_feats, meta["top_k"], meta["a"], meta["lam"], meta["min_prob"], meta["p_start"], meta["p_end"])
    elif method == "wpmi":
        sim = wpmi(clip_feats, target_feats, meta["top_k"], meta["a"], meta["lam"], meta["min_prob"])
    elif method == "cos3":
        sim = cos_similarity_cubed(clip_feats, target_feats, meta["min_norm"])
    else:
        raise SystemExit(f"unknown method {method}")
    # describe_neurons.py: torch.max over concepts (the first of equal maxima)
    order = np.argsort(-sim, axis=1, kind="stable")[:, : keep + 1]
    layer = {"name": name, "index": order.tolist(), "score": np.take_along_axis(sim, order, axis=1).astype(np.float64).tolist()}
    if full:
        layer["matrix"] = sim.astype(np.float64).tolist()
    out["layers"].append(layer)
json.dump(out, open(f"{d}/result.json", "w"))
