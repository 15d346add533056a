"""PyTorch code that computes exactly what a page shows, ready to copy into a notebook."""

from __future__ import annotations

import numpy as np

from cnnviz.padding import PaddingMode
from cnnviz.shapes import four_sides, pair

_TORCH_PAD = {
    "zeros": "constant",
    "reflect": "reflect",
    "replicate": "replicate",
    "circular": "circular",
}


def _matrix(array: np.ndarray) -> str:
    return np.array2string(
        np.asarray(array, dtype=np.float64),
        separator=", ",
        precision=6,
        suppress_small=True,
        max_line_width=88,
    ).replace("\n", "\n    ")


def conv_code(
    kernel: np.ndarray,
    *,
    channels: int,
    stride=1,
    padding=0,
    padding_mode: PaddingMode = "zeros",
    dilation=1,
    bias: float = 0.0,
    relu: bool = False,
) -> str:
    """Python source that defines ``out`` from ``image``, a float tensor ``(C, H, W)``.

    A ``(kh, kw)`` kernel is applied to each of the ``channels`` on its own (``groups=C``);
    a ``(C, kh, kw)`` kernel sums all channels into one map, like one filter of a conv layer.
    """
    kernel = np.asarray(kernel)
    top, bottom, left, right = four_sides(padding)
    summed = kernel.ndim == 3
    shape = "(1, C, kh, kw)" if summed else "(C, 1, kh, kw): one copy per channel"
    expand = "[None]" if summed else "[None, None].repeat(C, 1, 1, 1)"
    lines = [
        "import torch",
        "import torch.nn.functional as F",
        "",
        "# image: a float tensor (C, H, W) with values in [0, 1]",
        f"C = {channels}",
        f"kernel = torch.tensor({_matrix(kernel)})",
        f"weight = kernel{expand}  # {shape}",
        f"bias = torch.full((weight.shape[0],), {float(bias)!r})",
        "x = image[None]  # (1, C, H, W): a batch of one",
        f"x = F.pad(x, ({left}, {right}, {top}, {bottom}), "
        f"mode={_TORCH_PAD[padding_mode]!r})  # (left, right, top, bottom)",
        f"out = F.conv2d(x, weight, bias, stride={pair(stride, 'stride')}, "
        f"dilation={pair(dilation, 'dilation')}, groups={1 if summed else 'C'})[0]",
    ]
    if relu:
        lines.append("out = F.relu(out)")
    lines.append("# out: (1, H', W') when the kernel sums channels, else (C, H', W')")
    return "\n".join(lines)
