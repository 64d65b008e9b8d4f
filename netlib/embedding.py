"""2-D maps of test samples as one layer sees them (issue 20): PCA, a class-pair axis, and
Procrustes alignment so the map keeps its orientation from epoch to epoch.

- PCA: the top two principal directions (NumPy's SVD of the centred features; instant for
  10,000 x 256).
- The a↔b axis (TensorBoard projector's custom projection): x = where a sample sits on the
  line from class a's centroid (0) to class b's (1) in that layer; y = the top principal
  direction of what is left once that line is taken out. Samples near x = 0.5 sit between.
- Procrustes: rotate (or reflect) one epoch's map onto the previous one's (the orthogonal
  matrix that best matches the same samples), so an epoch slider shows movement, not the
  arbitrary sign and rotation each PCA picks.
"""

from __future__ import annotations

import numpy as np


def _features(features: np.ndarray) -> np.ndarray:
    f = np.asarray(features, np.float64)
    if f.ndim != 2 or len(f) < 2:
        raise ValueError(f"features {f.shape}: need (samples >= 2, dimensions)")
    return f.reshape(len(f), -1)


def pca_2d(features: np.ndarray) -> np.ndarray:
    """(n, 2): the samples on the top two principal directions (zeros past the rank)."""
    f = _features(features)
    centred = f - f.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    out = np.zeros((len(f), 2))
    k = min(2, vt.shape[0])
    out[:, :k] = centred @ vt[:k].T
    return out


def pair_axis(
    features: np.ndarray, labels: np.ndarray, a: int, b: int
) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) per sample: x the position along the centroid(a) → centroid(b) line (0 at a, 1 at
    b), y the top principal direction of the rest (in the layer's own units)."""
    f = _features(features)
    labels = np.asarray(labels)
    if not (labels == a).any() or not (labels == b).any():
        raise ValueError(f"the pair axis needs samples of both {a} and {b}")
    ca, cb = f[labels == a].mean(axis=0), f[labels == b].mean(axis=0)
    line = cb - ca
    length2 = float(line @ line)
    if length2 == 0:
        raise ValueError(f"classes {a} and {b} have the same centroid in this layer")
    x = (f - ca) @ line / length2
    rest = f - ca - np.outer(x, line)  # what the line does not explain
    rest -= rest.mean(axis=0)
    _, _, vt = np.linalg.svd(rest, full_matrices=False)
    y = rest @ vt[0] if vt.shape[0] else np.zeros(len(f))
    return x, y


def procrustes(reference: np.ndarray, points: np.ndarray) -> np.ndarray:
    """points rotated/reflected (about their centre, then moved to the reference's) to best
    match reference, the same samples in the same order: the orthogonal Procrustes solution."""
    ref = np.asarray(reference, np.float64)
    pts = np.asarray(points, np.float64)
    if ref.shape != pts.shape:
        raise ValueError(f"reference {ref.shape} and points {pts.shape} differ")
    ref_mean, pts_mean = ref.mean(axis=0), pts.mean(axis=0)
    u, _, vt = np.linalg.svd((pts - pts_mean).T @ (ref - ref_mean))
    return (pts - pts_mean) @ (u @ vt) + ref_mean


def aligned_maps(maps: list[np.ndarray]) -> list[np.ndarray]:
    """Each map aligned to the one before it (the first stays as it is)."""
    out: list[np.ndarray] = []
    for m in maps:
        out.append(np.asarray(m, np.float64) if not out else procrustes(out[-1], m))
    return out


def layer_choices(net, x_one: np.ndarray) -> list[str]:
    """What a map can show: "input (pixels)", each hidden layer (named as the other views name
    them), "output (logits)". Its index - 1 is the `layer` of layer_features."""
    from netlib.confusions import _hidden_outputs

    hidden = [name for name, _ in _hidden_outputs(net, np.asarray(x_one).reshape(1, -1))[1]]
    return ["input (pixels)", *hidden, "output (logits)"]


def layer_features(net, x: np.ndarray, layer: int, chunk: int = 512) -> np.ndarray:
    """(n, d) float32: rows x as layer `layer` sees them (-1 = the input itself, 0.. = hidden
    layers, len(hidden) = the logits), flattened, computed in chunks of `chunk` rows."""
    from netlib.confusions import _hidden_outputs

    x = np.asarray(x)
    if layer < 0:
        return x.reshape(len(x), -1).astype(np.float32)
    out = []
    for i in range(0, len(x), chunk):
        logits, hidden = _hidden_outputs(net, x[i : i + chunk])
        if layer > len(hidden):
            raise ValueError(f"layer {layer}: the network has {len(hidden)} hidden layers")
        values = logits if layer == len(hidden) else hidden[layer][1]
        out.append(np.asarray(values, np.float32).reshape(len(values), -1))
    return np.concatenate(out)


TSNE_ITERATIONS = (250, 500)  # early exaggeration, then the rest (openTSNE's defaults)


def tsne_2d(features: np.ndarray, progress=None, seed: int = 0) -> np.ndarray:
    """(n, 2) t-SNE map by openTSNE (an optional install: requirements-embed.txt), one thread.
    progress(fraction) hears how far it is; returning True from it stops the fit early
    (the map so far is returned). ImportError names the install when openTSNE is missing."""
    try:
        from openTSNE import TSNE
    except ImportError:
        raise ImportError("t-SNE needs openTSNE: pip install -r requirements-embed.txt") from None
    f = _features(features).astype(np.float64)
    early, rest = TSNE_ITERATIONS
    every = 25
    calls = {"n": 0}

    def heard(iteration, error, embedding) -> bool:  # called every `every` iterations
        calls["n"] += 1
        return bool(progress(min(1.0, calls["n"] * every / (early + rest)))) if progress else False

    tsne = TSNE(
        perplexity=min(30.0, max(2.0, (len(f) - 1) / 3)),
        n_iter=rest,
        early_exaggeration_iter=early,
        n_jobs=1,
        random_state=seed,
        callbacks=[heard],
        callbacks_every_iters=every,
    )
    return np.asarray(tsne.fit(f))
