"""Model files for the app's tests: a CS231n-style conv net (w (F, C, HH, WW), b (F,), then an
affine layer), and variants of tests/modelfiles.py's two-layer net (a bug, an exception at a
known line, a marker written when the file runs)."""

from __future__ import annotations

import os
from pathlib import Path

from tests.modelfiles import MODEL

CONV_MODEL = '''import numpy as np


def conv_forward_naive(x, w, b, conv_param):
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    Ho, Wo = 1 + (H + 2 * pad - HH) // stride, 1 + (W + 2 * pad - WW) // stride
    out = np.zeros((N, F, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            patch = xp[:, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
            out[:, :, i, j] = np.tensordot(patch, w, axes=([1, 2, 3], [1, 2, 3])) + b
    return out, (x, w, b, conv_param)


def conv_backward_naive(dout, cache):
    x, w, b, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    F, _, HH, WW = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            patch = xp[:, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
            dw += np.tensordot(dout[:, :, i, j], patch, axes=([0], [0]))
            dxp[:, :, i * stride:i * stride + HH, j * stride:j * stride + WW] += np.tensordot(
                dout[:, :, i, j], w, axes=([1], [0]))
    return dxp[:, :, pad:pad + x.shape[2], pad:pad + x.shape[3]], dw, dout.sum(axis=(0, 2, 3))


class ConvNet:
    """conv (F filters of C x 3 x 3) - relu - affine - softmax, CS231n's shapes."""

    def __init__(self, C=3, H=6, F=4, classes=3, seed=0):
        rng = np.random.default_rng(seed)
        self.conv_param = {"stride": 1, "pad": 1}
        self.params = {"W1": 0.3 * rng.standard_normal((F, C, 3, 3)), "b1": 0.1 * rng.standard_normal(F),
                       "W2": 0.1 * rng.standard_normal((F * H * H, classes)),
                       "b2": 0.1 * rng.standard_normal(classes)}

    def loss(self, X, y):
        p = self.params
        a, conv_cache = conv_forward_naive(X, p["W1"], p["b1"], self.conv_param)
        h = np.maximum(a, 0)
        flat = h.reshape(X.shape[0], -1)
        scores = flat @ p["W2"] + p["b2"]
        shifted = scores - scores.max(axis=1, keepdims=True)
        probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
        N = X.shape[0]
        loss = -np.log(probs[np.arange(N), y]).mean()
        dscores = probs
        dscores[np.arange(N), y] -= 1
        dscores /= N
        dflat = dscores @ p["W2"].T
        da = dflat.reshape(h.shape) * (a > 0)
        _, dW1, db1 = conv_backward_naive(da, conv_cache)
        return loss, {"W1": dW1, "b1": db1, "W2": flat.T @ dscores, "b2": dscores.sum(axis=0)}


def gradviz_model():
    rng = np.random.default_rng(1)
    return ConvNet(), rng.standard_normal((2, 3, 6, 6)), rng.integers(0, 3, 2)
'''

#: the two-layer net with dW2 doubled in its own loss
DOUBLED_DW2 = MODEL.replace('"W2": dW2,', '"W2": 2 * dW2,')
#: the two-layer net whose loss raises ZeroDivisionError on line RAISING_LINE
RAISING = MODEL.replace("        N = X.shape[0]\n", "        N = X.shape[0] // 0\n")
RAISING_LINE = next(i for i, line in enumerate(RAISING.splitlines(), 1) if "// 0" in line)
#: the two-layer net whose loss raises only once W1[0, 0] has moved (during the check)
RAISES_WHEN_MOVED = MODEL.replace(
    "        p = self.params\n",
    "        p = self.params\n"
    "        if p['W1'][0, 0] != self.start:\n"
    "            raise FloatingPointError('W1[0, 0] left its value')\n"
).replace("    def loss(self, X, y):", "    start = None\n\n    def loss(self, X, y):").replace(
    "def gradviz_model():\n    rng = np.random.default_rng(1)\n    return TwoLayerNet(),",
    "def gradviz_model():\n    rng = np.random.default_rng(1)\n    net = TwoLayerNet()\n"
    "    net.start = net.params['W1'][0, 0]\n    return net,")
RAISES_LINE = next(i for i, line in enumerate(RAISES_WHEN_MOVED.splitlines(), 1) if "raise Floating" in line)
#: the two-layer net that leaves a marker beside itself when it runs
MARKING = "from pathlib import Path\nPath(__file__).with_name('ran.txt').write_text('ran')\n" + MODEL
#: the two-layer net returned without X and y
MODEL_ALONE = MODEL.replace("    return TwoLayerNet(), rng.standard_normal((5, 4)), rng.integers(0, 3, 5)",
                            "    return TwoLayerNet()")


def save_like_an_editor(path: Path, text: str) -> None:
    """Write a new file beside ``path`` and rename it over ``path``, as many editors save."""
    temp = path.with_name(f".{path.name}.swp")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, path)
#: the two-layer net whose loss records, per evaluation, whether it ran on the GUI (main) thread
RECORDING = MODEL.replace("import numpy as np\n", "import threading\n\nimport numpy as np\n", 1).replace(
    "\n\nclass TwoLayerNet:", "\nON_MAIN_THREAD = []\n\n\nclass TwoLayerNet:").replace(
    "        p = self.params\n",
    "        ON_MAIN_THREAD.append(threading.current_thread() is threading.main_thread())\n"
    "        p = self.params\n")
#: the two-layer net whose loss raises once W1[0, 0] has moved by more than 1e-3 (the ε sweep
#: goes that far, the check does not)
RAISES_FAR = RAISES_WHEN_MOVED.replace(
    "        if p['W1'][0, 0] != self.start:\n"
    "            raise FloatingPointError('W1[0, 0] left its value')\n",
    "        if abs(p['W1'][0, 0] - self.start) > 1e-3:\n"
    "            raise FloatingPointError('W1[0, 0] moved by more than 1e-3')\n")
RAISES_FAR_LINE = next(i for i, line in enumerate(RAISES_FAR.splitlines(), 1) if "raise Floating" in line)
