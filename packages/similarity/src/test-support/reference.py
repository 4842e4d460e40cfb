"""Independent numpy reference for topk | cof | sparsity | similarity (issue 5).

argv: DIR K. DIR holds meta.json ({layers: [[name, channels]], rows, classes}),
labels.i32 and <layer>.f32 (rows x channels, row-major). Prints JSON to stdout.
"""
import json, math, sys
import numpy as np

d, k = sys.argv[1], int(sys.argv[2])
meta = json.load(open(f"{d}/meta.json"))
rows, ncls = meta["rows"], meta["classes"]
labels = np.fromfile(f"{d}/labels.i32", dtype=np.int32)
out = {"topk": [], "cof": [], "stats": [], "pearson": {}, "euclidean": {}, "summary": []}
cof_layers, cof_rows = [], []
paths = np.array([f"img{i}.png" for i in range(rows)])
for name, c in meta["layers"]:
    x = np.fromfile(f"{d}/{name}.f32", dtype=np.float32).reshape(rows, c).astype(np.float64)
    counts = np.zeros((c, ncls))
    for n in range(c):
        # value desc; ties by image path (as topk breaks them, shard-independently), then arrival
        order = np.lexsort((np.arange(rows), paths, -x[:, n]))[:k]
        out["topk"].append([name, n, order.tolist(), x[order, n].tolist()])
        counts[n] = np.bincount(labels[order], minlength=ncls)
        out["cof"].append([name, n, counts[n].astype(int).tolist()])
        cof_layers.append(name)
        cof_rows.append(counts[n])
    r = np.corrcoef(counts)
    e = np.sqrt(((counts[:, None, :] - counts[None, :, :]) ** 2).sum(-1))
    out["pearson"][name] = r.tolist()
    out["euclidean"][name] = e.tolist()
    off = ~np.eye(c, dtype=bool)
    out["summary"].append([name, r[off].mean(), e[off].mean()])

C = np.array(cof_rows)
N = C.shape[1]
s = np.sort(C, axis=1)
kk = np.arange(1, N + 1)
g = 1 - 2 * ((s / s.sum(1, keepdims=True)) * ((N - kk + 0.5) / N)).sum(1)
p = (C + 1e-7) / (C + 1e-7).sum(1, keepdims=True)
f = 2 ** (-(p * np.log2(p)).sum(1) / np.log2(N)) - 1
mf = f / g
mfn = (mf - mf.min()) / (mf.max() - mf.min())
layers = np.array(cof_layers)
for i in range(len(C)):
    sel = mf[layers == layers[i]]
    mu, sd = sel.mean(), sel.std()  # maximum-likelihood normal fit
    pv = math.erfc(abs(mf[i] - mu) / (sd * math.sqrt(2)))
    out["stats"].append([float(g[i]), float(f[i]), float(mf[i]), float(mfn[i]), "MF" if mf[i] > mu else "SF", pv])
print(json.dumps(out))
