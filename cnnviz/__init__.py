"""cnnviz: convolution and pooling as numpy functions, checked against PyTorch.

Leaves first: shapes -> kernels, padding -> convolution, pooling; images and samples beside.
No streamlit here.
"""

from cnnviz.convolution import (
    PixelExplanation,
    convolve2d,
    correlate2d,
    correlate2d_loop,
    dilate_kernel,
    explain_pixel,
    flip_kernel,
)
from cnnviz.images import DecodedImage, ImageError, decode_image, downscale, to_grayscale
from cnnviz.kernels import KERNELS, Kernel
from cnnviz.padding import PADDING_MODES, PaddingMode, pad2d
from cnnviz.pooling import PoolMode, max_pool_winners, pool2d
from cnnviz.samples import SAMPLES, load_sample
from cnnviz.shapes import leftover, output_size, same_padding

__all__ = [
    "KERNELS",
    "PADDING_MODES",
    "SAMPLES",
    "DecodedImage",
    "ImageError",
    "decode_image",
    "downscale",
    "load_sample",
    "to_grayscale",
    "Kernel",
    "PaddingMode",
    "PixelExplanation",
    "PoolMode",
    "convolve2d",
    "correlate2d",
    "correlate2d_loop",
    "dilate_kernel",
    "explain_pixel",
    "flip_kernel",
    "leftover",
    "max_pool_winners",
    "output_size",
    "pad2d",
    "pool2d",
    "same_padding",
]

# The network half needs torch, which takes seconds to import: load it on first use, so
# `import cnnviz` stays quick for the numpy lessons. `from cnnviz import load_model` works.
_LAZY = {
    "load_dataset": "cnnviz.data", "download_dataset": "cnnviz.data",
    "dataset_available": "cnnviz.data", "DatasetError": "cnnviz.data",
    "CLASS_NAMES": "cnnviz.data",
    "CNN": "cnnviz.model", "CNNConfig": "cnnviz.model", "LESSON_CNN": "cnnviz.model",
    "MLP": "cnnviz.model", "feature_maps": "cnnviz.model", "layer_shapes": "cnnviz.model",
    "TrainConfig": "cnnviz.train", "train": "cnnviz.train", "evaluate": "cnnviz.train",
    "load_model": "cnnviz.weights", "WeightsError": "cnnviz.weights",
    "MODEL_NAMES": "cnnviz.weights",
}  # fmt: skip
__all__ += list(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'cnnviz' has no attribute {name!r}")
