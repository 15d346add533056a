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
