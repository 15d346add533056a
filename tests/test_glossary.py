"""The glossary's entries."""

from cnnviz.glossary import GLOSSARY

REQUIRED = ["CNN", "Convolution", "Kernel (filter)", "Padding", "Stride", "Pooling",
            "Max pooling", "Average pooling", "Downsampling", "Feature map", "ReLU", "Flatten",
            "Dense layer (fully connected)", "Softmax", "High-pass filter", "Edge",
            "Local connectivity", "Invariance", "MLP", "Validation loss", "Augmentation",
            "Receptive field", "Dilation", "Bias", "Loss", "Gradient", "Learning rate",
            "Gradient descent"]  # fmt: skip


def test_every_lesson_word_is_defined_with_an_example():
    """Each word of the lessons has a one-sentence definition and an example."""
    words = {t.word for t in GLOSSARY.values()}
    assert set(REQUIRED) <= words
    for term in GLOSSARY.values():
        assert term.definition.endswith(".") and term.definition.count(". ") == 0
        assert term.example


def test_anchors_are_unique_and_url_safe():
    """Anchors are lowercase words joined by dashes and never collide."""
    assert len(GLOSSARY) == len({t.word for t in GLOSSARY.values()})
    for anchor in GLOSSARY:
        assert anchor == anchor.lower() and " " not in anchor and "(" not in anchor
