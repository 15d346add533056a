"""The library stays free of the UI."""

import subprocess
import sys


def test_importing_cnnviz_does_not_import_streamlit():
    """cnnviz is usable from a notebook: importing it never pulls in streamlit."""
    code = "import sys, cnnviz; print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_network_api_is_importable_from_the_package_without_eager_torch():
    """`import cnnviz` does not import torch; `from cnnviz import load_model` does, on use."""
    code = (
        "import sys, cnnviz; before = 'torch' in sys.modules; "
        "from cnnviz import load_model, load_dataset, train; "
        "print(before, 'torch' in sys.modules, load_model('mnist').training)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True", "False"]
