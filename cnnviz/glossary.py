"""The words of the lessons: one plain definition, a tiny example and where the app shows it."""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class Term:
    """One glossary entry."""

    word: str  # as a student reads it, e.g. "Max pooling"
    definition: str  # one plain sentence
    example: str  # a tiny worked example with numbers or a picture in words
    page: str  # the page file that demonstrates it, e.g. "pages/pooling.py"

    @property
    def anchor(self) -> str:
        """``"Max pooling"`` -> ``"max-pooling"``, the id on the Glossary page."""
        return "-".join(self.word.lower().replace("(", "").replace(")", "").split())


CONV, POOL, INSIDE, TRAIN, LEARN = (
    "pages/convolution.py",
    "pages/pooling.py",
    "pages/inside_cnn.py",
    "pages/train.py",
    "pages/learn_kernel.py",
)

_TERMS = [
    Term("CNN", "A convolutional neural network: a network whose first layers slide small "
         "kernels over a picture instead of looking at every pixel at once.",
         "28×28 picture → 32 feature maps → pooling → 64 maps → pooling → 10 class scores.",
         INSIDE),
    Term("Convolution", "Sliding a kernel over a picture and, at each place, multiplying the "
         "pixels under it by the kernel's numbers and adding them up.",
         "Pixels [1, 2, 3] under kernel [1, 0, −1]: 1·1 + 2·0 + 3·(−1) = −2.", CONV),
    Term("Kernel (filter)", "The small grid of numbers that slides over the picture; a CNN "
         "learns its numbers during training.",
         "Sobel x = [[−1, 0, 1], [−2, 0, 2], [−1, 0, 1]] finds vertical edges.", CONV),
    Term("Padding", "Extra pixels added around the picture so the kernel can also sit on the "
         "border.", "A 5×5 picture with 1 pixel of zero padding becomes 7×7.", CONV),
    Term("Stride", "How many pixels the kernel jumps between two positions.",
         "Stride 2 on a 6-pixel row with a 2-wide kernel: positions 0, 2, 4 → 3 outputs.", CONV),
    Term("Dilation", "Gaps between the kernel's cells, so a small kernel sees a wider area.",
         "A 3×3 kernel with dilation 2 covers a 5×5 area but still has 9 numbers.", CONV),
    Term("Bias", "A number added to every sum a kernel makes, before any ReLU.",
         "Sum 0.3 with bias −0.5 gives −0.2, and ReLU turns that into 0.", CONV),
    Term("Receptive field", "The pixels of the input that one output pixel depends on.",
         "After two 3×3 convolutions one output pixel sees a 5×5 patch of the input.", CONV),
    Term("Feature map", "The picture a kernel produces: bright where the input looks like the "
         "kernel.", "Sobel x on a photo gives a map that is bright at vertical edges.", INSIDE),
    Term("Edge", "A place where the brightness changes quickly, like the outline of an object.",
         "Pixels [0, 0, 1, 1]: the edge sits between the second and third pixel.", CONV),
    Term("High-pass filter", "A kernel that keeps fast changes (edges, detail) and removes "
         "smooth areas.", "The Laplacian gives 0 on a flat grey area and large values at "
         "edges.", CONV),
    Term("Local connectivity", "Each output pixel depends only on a small neighbourhood of the "
         "input, not on the whole picture.",
         "A 3×3 kernel connects each output to 9 inputs instead of all 784.", CONV),
    Term("ReLU", "Keeps positive numbers and turns negative numbers into 0.",
         "ReLU([−2, 0.5, 3]) = [0, 0.5, 3].", POOL),
    Term("Pooling", "Shrinking a feature map by summarising each small window with one number.",
         "2×2 pooling with stride 2 turns a 28×28 map into 14×14.", POOL),
    Term("Max pooling", "Pooling that keeps the largest number of each window.",
         "Window [[1, 5], [3, 2]] → 5.", POOL),
    Term("Average pooling", "Pooling that keeps the mean of each window.",
         "Window [[1, 5], [3, 2]] → (1 + 5 + 3 + 2) / 4 = 2.75.", POOL),
    Term("Downsampling", "Making a picture or map smaller, keeping fewer numbers.",
         "256×256 → 128×128 after one 2×2 pooling: a quarter of the numbers.", POOL),
    Term("Invariance", "The answer stays the same when the input changes a little, for example "
         "when it shifts by a pixel.",
         "Max pooling gives the same 5 whether the 5 sits at the left or right of its window.",
         POOL),
    Term("Flatten", "Laying all numbers of the feature maps out in one long row so a dense "
         "layer can read them.", "64 maps of 5×5 → one row of 64·5·5 = 1600 numbers.", INSIDE),
    Term("Dense layer (fully connected)", "A layer where every output is a weighted sum of "
         "every input.", "1600 inputs → 128 outputs uses 1600·128 weights + 128 biases.",
         INSIDE),
    Term("Softmax", "Turns the final scores into probabilities that add up to 1.",
         "Scores [2, 1, 0] → probabilities [0.67, 0.24, 0.09].", INSIDE),
    Term("MLP", "A multi-layer perceptron: a network of dense layers only, which sees the "
         "picture as one long row of pixels.", "28×28 picture → 784 numbers → 128 → 10.", TRAIN),
    Term("Loss", "One number that says how far the network's answers are from the right "
         "ones: 0 means perfect, and learning means making it smaller.",
         "Outputs [1, 3] with targets [1, 1]: errors 0 and 2, squared 0 and 4, average loss 2.",
         LEARN),
    Term("Gradient", "For each weight, how fast the loss grows when that weight grows a "
         "little: its slope, which tells which way to move it.",
         "Gradient +4: a bit more weight means more loss, so make the weight smaller.", LEARN),
    Term("Learning rate", "How big a step each weight takes against its gradient; too small "
         "is slow, too big overshoots and the loss grows.",
         "Weight 0.5, gradient 2, learning rate 0.1: new weight 0.5 − 0.1 × 2 = 0.3.", LEARN),
    Term("Gradient descent", "Learning by small steps: measure the loss, work out every "
         "weight's gradient, move each weight a little against it, and repeat.",
         "A kernel of random numbers moves, step by step, towards the numbers of Sobel x.", LEARN),
    Term("Validation loss", "How wrong the network is on pictures it did not train on; when it "
         "rises while training loss falls, the network is memorising.",
         "Training loss 0.20, validation loss 0.35: some memorising.", TRAIN),
    Term("Augmentation", "Making extra training pictures by shifting, flipping or rotating the "
         "ones you have, so the network learns what does not matter.",
         "A shoe shifted 2 pixels right is still a shoe.", TRAIN),
]  # fmt: skip

GLOSSARY: MappingProxyType[str, Term] = MappingProxyType({t.anchor: t for t in _TERMS})
