"""Test-time reference for dream: Lucent's formulas, transcribed.

Reads a JSON job on stdin, with float32 arrays as lists:
  {"mode": "param", "spectrum": [...], "shape": [B, C, H, W]}
      -> numpy transcription of lucent/optvis/param (fft_image, to_valid_rgb): the image
  {"mode": "chain", "spectrum": [...], "shape": [...], "draws": {...} | null,
   "resize": R, "size": S, "mean": [...], "std": [...], "grad_out": [...]}
      -> the same parameterisation and Lucent's transforms in PyTorch, loss = <grad_out,
         network input>, torch.autograd's gradient with respect to the spectrum
Writes JSON {"image": [...], "input": [...], "grad": [...]} on stdout.
"""
import json
import sys

import numpy as np

COLOR = np.asarray([[0.26, 0.09, 0.02], [0.27, 0.00, -0.05], [0.27, -0.09, 0.03]]).astype("float32")
MAX_NORM = np.max(np.linalg.norm(COLOR, axis=0))
COLOR_NORMALIZED = COLOR / MAX_NORM


def rfft2d_freqs(h, w):
    fy = np.fft.fftfreq(h)[:, None]
    # Lucent keeps w // 2 + 2 columns for odd w; irfftn(s=(h, w)) reads only w // 2 + 1 of them.
    fx = np.fft.fftfreq(w)[: w // 2 + 1]
    return np.sqrt(fx * fx + fy * fy)


def numpy_param(spectrum, shape):
    b, c, h, w = shape
    freqs = rfft2d_freqs(h, w)
    scale = 1.0 / np.maximum(freqs, 1.0 / max(w, h))
    scaled = scale[None, None, ..., None] * spectrum.astype(np.float64)
    image = np.fft.irfftn(scaled[..., 0] + 1j * scaled[..., 1], s=(h, w), axes=(2, 3), norm="ortho")
    image = image / 4.0
    if c == 3:
        image = np.matmul(image.transpose(0, 2, 3, 1), COLOR_NORMALIZED.T.astype(np.float64)).transpose(0, 3, 1, 2)
    return 1.0 / (1.0 + np.exp(-image))


def translate(t, dx, dy):
    """kornia translate by whole pixels: out[y, x] = in[y - dy, x - dx], zeros outside."""
    import torch.nn.functional as F

    hh, ww = t.shape[2:]
    padded = F.pad(t, [dx, 0, dy, 0])
    return padded[:, :, :hh, :ww]


_grids = {}


def rotate(t, degrees):
    """kornia get_rotation_matrix2d + warp_affine (bilinear, zeros, align_corners=True)."""
    import torch
    import torch.nn.functional as F

    hh, ww = t.shape[2:]
    key = (degrees, hh, ww, t.shape[0])
    if key not in _grids:
        a = np.deg2rad(degrees)
        cx, cy = (ww - 1) / 2, (hh - 1) / 2
        m = np.array([[np.cos(a), np.sin(a), (1 - np.cos(a)) * cx - np.sin(a) * cy],
                      [-np.sin(a), np.cos(a), np.sin(a) * cx + (1 - np.cos(a)) * cy], [0, 0, 1]])
        inv = np.linalg.inv(m)
        ys, xs = np.meshgrid(np.arange(hh), np.arange(ww), indexing="ij")
        sx = inv[0, 0] * xs + inv[0, 1] * ys + inv[0, 2]
        sy = inv[1, 0] * xs + inv[1, 1] * ys + inv[1, 2]
        grid = np.stack([2 * sx / (ww - 1) - 1, 2 * sy / (hh - 1) - 1], axis=-1)[None].repeat(t.shape[0], 0)
        _grids[key] = torch.tensor(grid).float()
    return F.grid_sample(t, _grids[key], mode="bilinear", padding_mode="zeros", align_corners=True)


def standard_transforms(x, d):
    """lucent transform.standard_transforms with the step's draws d (jitter1, scale, angle, jitter2)."""
    import torch.nn.functional as F

    x = F.pad(x, [12] * 4, mode="constant", value=0.5)
    x = translate(x, *d["jitter1"])
    shp = x.shape[2:]
    scale_shape = [int(np.ceil(d["scale"] * s)) for s in shp]
    pad_x = max(0, int(np.ceil((shp[1] - scale_shape[1]) / 2)))
    pad_y = max(0, int(np.ceil((shp[0] - scale_shape[0]) / 2)))
    x = F.pad(F.interpolate(x, size=scale_shape, mode="bilinear", align_corners=True), [pad_y, pad_x] * 2)
    x = rotate(x, d["angle"])
    return translate(x, *d["jitter2"])


def fft_image(spectrum, shape):
    """lucent param.fft_image + to_valid_rgb on a (B, C, H, W//2+1, 2) tensor."""
    import torch

    b, c, h, w = shape
    freqs = rfft2d_freqs(h, w)
    scale = torch.tensor(1.0 / np.maximum(freqs, 1.0 / max(w, h))).float()[None, None, ..., None]
    image = torch.fft.irfftn(torch.view_as_complex(scale * spectrum), s=(h, w), norm="ortho") / 4.0
    if c == 3:
        image = torch.matmul(image.permute(0, 2, 3, 1), torch.tensor(COLOR_NORMALIZED.T)).permute(0, 3, 1, 2)
    return torch.sigmoid(image)


def to_network(x, resize, size, mean, std):
    """Resize to the network (bilinear align_corners up, antialiased down), centre crop, normalise."""
    import torch
    import torch.nn.functional as F

    if x.shape[2] != resize:
        if resize >= x.shape[2]:
            x = F.interpolate(x, size=(resize, resize), mode="bilinear", align_corners=True)
        else:
            x = F.interpolate(x, size=(resize, resize), mode="bilinear", align_corners=False, antialias=True)
    lo = (resize - size) // 2
    x = x[:, :, lo:lo + size, lo:lo + size]
    return (x - torch.tensor(mean).float()[None, :, None, None]) / torch.tensor(std).float()[None, :, None, None]


def torch_chain(job):
    import torch

    b, c, h, w = job["shape"]
    spectrum = torch.tensor(np.asarray(job["spectrum"], dtype=np.float32).reshape(b, c, h, w // 2 + 1, 2), requires_grad=True)
    image = fft_image(spectrum, job["shape"])
    x = image
    if job.get("draws") is not None:
        x = standard_transforms(x, job["draws"])
    x = to_network(x, job["resize"], job["size"], job["mean"], job["std"])
    g = torch.tensor(np.asarray(job["grad_out"], dtype=np.float32).reshape(x.shape))
    (x * g).sum().backward()
    return {
        "image": image.detach().numpy().ravel().tolist(),
        "input": x.detach().numpy().ravel().tolist(),
        "grad": spectrum.grad.numpy().ravel().tolist(),
    }


def torch_diversity(job):
    import torch
    import torch.nn.functional as F

    layer_t = torch.tensor(np.asarray(job["tap"], dtype=np.float32).reshape(job["shape"]), requires_grad=True)
    # lucent objectives.diversity, verbatim
    batch, channels, _, _ = layer_t.shape
    flattened = layer_t.view(batch, channels, -1)
    grams = torch.matmul(flattened, torch.transpose(flattened, 1, 2))
    grams = F.normalize(grams, p=2, dim=(1, 2))
    div = -sum([sum([(grams[i] * grams[j]).sum() for j in range(batch) if j != i]) for i in range(batch)]) / batch
    div.backward()
    return {"image": [float(div)], "grad": layer_t.grad.numpy().ravel().tolist()}


def main():
    job = json.load(sys.stdin)
    if job["mode"] == "diversity":
        out = torch_diversity(job)
    elif job["mode"] == "param":
        b, c, h, w = job["shape"]
        spectrum = np.asarray(job["spectrum"], dtype=np.float32).reshape(b, c, h, w // 2 + 1, 2)
        out = {"image": numpy_param(spectrum, job["shape"]).ravel().tolist()}
    else:
        out = torch_chain(job)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
