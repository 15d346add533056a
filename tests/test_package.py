"""The library stays free of the UI."""

import subprocess
import sys


def test_importing_cnnviz_does_not_import_streamlit():
    """cnnviz is usable from a notebook: importing it never pulls in streamlit."""
    code = "import sys, cnnviz; print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
