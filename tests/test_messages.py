"""Messages name files, never the server's folders."""

import pytest

from cnnviz.messages import without_paths


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("No such file: '/srv/cnnviz/assets/mnist-cnn.json'", "No such file: 'mnist-cnn.json'"),
        ("C:\\data\\mnist\\t10k.gz is cut", "t10k.gz is cut"),
        ("(/home/teacher/data/x.gz)", "(x.gz)"),
        ("a 1/2 chance, 3/4 done", "a 1/2 chance, 3/4 done"),
        ("from https://example.com/a/b.gz", "from https://example.com/a/b.gz"),
        ("mnist/t10k-images-idx3-ubyte.gz", "mnist/t10k-images-idx3-ubyte.gz"),
    ],
)
def test_paths_become_file_names(text, expected):
    """Absolute paths shrink to the file's name; fractions, URLs and short names stay."""
    assert without_paths(text) == expected
