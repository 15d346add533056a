"""PyTorch and Keras code that computes exactly what a page shows, ready to copy into a
notebook."""

from __future__ import annotations

import numpy as np

from cnnviz.padding import MODES, PaddingMode
from cnnviz.shapes import four_sides, pair


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
        f"mode={MODES[padding_mode].torch!r})  # (left, right, top, bottom)",
        f"out = F.conv2d(x, weight, bias, stride={pair(stride, 'stride')}, "
        f"dilation={pair(dilation, 'dilation')}, groups={1 if summed else 'C'})[0]",
    ]
    if relu:
        lines.append("out = F.relu(out)")
    lines.append("# out: (1, H', W') when the kernel sums channels, else (C, H', W')")
    return "\n".join(lines)


def _pad_lines(padding_mode: PaddingMode, sides: tuple[int, int, int, int], fill: str) -> list:
    """Lines that pad ``x``, a ``(1, H, W, C)`` array, on its four sides (Keras has no layer
    for reflect/replicate/circular, so those pad with NumPy before Keras sees the picture)."""
    top, bottom, left, right = sides
    if not any(sides):
        return []
    if padding_mode == "zeros" and fill == "0":
        return [f"x = layers.ZeroPadding2D((({top}, {bottom}), ({left}, {right})))(x)"]
    mode = MODES[padding_mode].numpy
    extra = f", constant_values={fill}" if mode == "constant" else ""
    return [
        f"x = np.pad(x, ((0, 0), ({top}, {bottom}), ({left}, {right}), (0, 0)), "
        f"mode={mode!r}{extra})  # Keras has no layer for this padding"
    ]


def keras_conv_code(
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
    """The same layer as :func:`conv_code` in Keras 3, from ``image``, an array ``(H, W, C)``.

    Keras is channels-last and its kernels are ``(kh, kw, in, out)``. Its own padding is only
    "valid" or "same", so the page's exact amounts are added first; a stride together with a
    dilation is not allowed in one Keras layer, so that case keeps every stride-th output.
    """
    kernel = np.asarray(kernel)
    summed = kernel.ndim == 3
    kh, kw = kernel.shape[-2:]
    (sh, sw), (dh, dw) = pair(stride, "stride"), pair(dilation, "dilation")
    split = max(sh, sw) > 1 and max(dh, dw) > 1
    layer_stride = (1, 1) if split else (sh, sw)
    if summed:
        layer = f"layers.Conv2D(1, ({kh}, {kw})"
        weight = "kernel.transpose(1, 2, 0)[:, :, :, None]  # (kh, kw, C, 1)"
        bias_shape = "(1,)"
    else:
        layer = f"layers.DepthwiseConv2D(({kh}, {kw})"
        weight = "np.repeat(kernel[:, :, None, None], C, axis=2)  # (kh, kw, C, 1)"
        bias_shape = "(C,)"
    activation = '"relu"' if relu else "None"
    lines = [
        "import numpy as np",
        "import keras  # with KERAS_BACKEND=torch, jax or tensorflow",
        "from keras import layers",
        "",
        "# image: a float array (H, W, C) with values in [0, 1]: Keras puts channels last",
        f"C = {channels}",
        f"kernel = np.array({_matrix(kernel)}, dtype='float32')",
        "x = image[None].astype('float32')  # (1, H, W, C): a batch of one",
        *_pad_lines(padding_mode, four_sides(padding), "0"),
        f"layer = {layer}, strides={layer_stride}, padding='valid', "
        f"dilation_rate={(dh, dw)}, activation={activation})",
        "layer.build(x.shape)",
        f"weight = {weight}",
        f"layer.set_weights([weight, np.full({bias_shape}, {float(bias)!r}, dtype='float32')])",
        "out = keras.ops.convert_to_numpy(layer(x))[0]  # (H', W', channels out)",
    ]
    if split:
        lines.append(f"out = out[::{sh}, ::{sw}]  # Keras refuses stride and dilation in one layer")
    lines.append("# out: (H', W', 1) when the kernel sums channels, else (H', W', C)")
    return "\n".join(lines)


def pool_code(size, *, stride=None, padding=0, mode: str = "max") -> str:
    """PyTorch code for :func:`cnnviz.pool2d` on ``image``, a float tensor ``(C, H, W)``.

    torch's max pooling pads with -inf, so padding never wins; its average pooling counts
    the zeros of the padding (``count_include_pad=True``), as the page does.
    """
    if mode not in ("max", "avg"):
        raise ValueError(f"mode must be 'max' or 'avg', got {mode!r}")
    size = pair(size, "size")
    stride = pair(stride if stride is not None else size, "stride")
    padding = pair(padding, "padding")
    call = (
        f"F.max_pool2d(x, kernel_size={size}, stride={stride}, padding={padding})"
        if mode == "max"
        else f"F.avg_pool2d(x, kernel_size={size}, stride={stride}, padding={padding},\n"
        "                   count_include_pad=True)  # padding counts as 0"
    )
    return "\n".join(
        [
            "import torch",
            "import torch.nn.functional as F",
            "",
            "# image: a float tensor (C, H, W); a grey map is (1, H, W)",
            "x = image[None]  # (1, C, H, W): a batch of one",
            f"out = {call}",
            "out = out[0]  # (C, H', W'): one number per window",
        ]
    )


def keras_pool_code(size, *, stride=None, padding=0, mode: str = "max") -> str:
    """Keras 3 code for :func:`cnnviz.pool2d` on ``image``, an array ``(H, W, C)``.

    Max pooling pads with -inf so padding never wins; average pooling pads with zeros and
    counts them, as the page does.
    """
    if mode not in ("max", "avg"):
        raise ValueError(f"mode must be 'max' or 'avg', got {mode!r}")
    size = pair(size, "size")
    stride = pair(stride if stride is not None else size, "stride")
    ph, pw = pair(padding, "padding")
    fill = "-np.inf" if mode == "max" else "0"
    layer = "MaxPooling2D" if mode == "max" else "AveragePooling2D"
    return "\n".join(
        [
            "import numpy as np",
            "import keras  # with KERAS_BACKEND=torch, jax or tensorflow",
            "from keras import layers",
            "",
            "# image: a float array (H, W, C): Keras puts channels last",
            "x = image[None].astype('float32')  # (1, H, W, C): a batch of one",
            *_pad_lines("zeros", (ph, ph, pw, pw), fill),
            f"layer = layers.{layer}(pool_size={size}, strides={stride}, padding='valid')",
            "out = keras.ops.convert_to_numpy(layer(x))[0]  # (H', W', C)",
        ]
    )
