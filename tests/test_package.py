"""The library stays free of the UI."""

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.test_readme import library_example


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


def test_no_submodule_imports_streamlit_or_forces_a_matplotlib_backend():
    """Every cnnviz module, imported in a fresh interpreter, leaves streamlit out and the
    matplotlib backend as the user had it (a notebook keeps its inline plots)."""
    code = (
        "import importlib, pkgutil, sys, matplotlib, cnnviz\n"
        "before = matplotlib.rcParams._get('backend')\n"
        "names = [m.name for m in pkgutil.iter_modules(cnnviz.__path__, 'cnnviz.')]\n"
        "for name in names: importlib.import_module(name)\n"
        "print(len(names), 'streamlit' in sys.modules, 'matplotlib.pyplot' in sys.modules,\n"
        "      matplotlib.rcParams._get('backend') == before)"
    )
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    count, *flags = out.stdout.split()
    assert int(count) >= 20 and flags == ["False", "False", "True"]


ROOT = Path(__file__).resolve().parent.parent


def pins(lines: list[str]) -> dict[str, str]:
    """``name==version`` lines (comments, options and blanks skipped) as name -> version."""
    found = (line.split("#")[0].strip() for line in lines)
    return dict(line.split("==") for line in found if "==" in line)


def test_the_library_pins_what_the_app_pins():
    """pyproject.toml's dependencies are the same pins as requirements.txt, a subset of it."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    library = pins(project["dependencies"])
    app = pins((ROOT / "requirements.txt").read_text().splitlines())
    assert library and all(app.get(name) == version for name, version in library.items())


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The wheel ``pip install .`` would install, unpacked into a folder of its own (its
    dependencies come from this environment; nothing is downloaded)."""
    source, wheels = tmp_path_factory.mktemp("source"), tmp_path_factory.mktemp("wheel")
    for name in ("pyproject.toml", "README.md", "LICENSE", "cnnviz", "assets"):  # a build
        copy = shutil.copytree if (ROOT / name).is_dir() else shutil.copy  # writes beside
        copy(ROOT / name, source / name)  # its sources: keep the checkout clean
    pip = [sys.executable, "-m", "pip", "-q"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", wheels, source],
        check=True,
        capture_output=True,
    )
    (wheel,) = wheels.glob("cnnviz-*.whl")
    target = tmp_path_factory.mktemp("site")
    subprocess.run([*pip, "install", "--no-deps", "--target", target, wheel], check=True)
    return target


def run_outside(site: Path, *args: str) -> str:
    """Run this python with ``args`` in an empty folder, seeing the installed copy only."""
    out = subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        check=True,
        cwd=site.parent,
        env={**os.environ, "PYTHONPATH": str(site)},
    )
    return out.stdout


@pytest.mark.slow
def test_pip_install_gives_a_library_that_works_from_any_folder(installed):
    """The installed package imports from another folder and loads its shipped network."""
    code = (
        "import cnnviz; from cnnviz import load_model; "
        "print(cnnviz.__file__); print(load_model('fashion-mnist').training)"
    )
    where, training = run_outside(installed, "-c", code).split()
    assert Path(where).is_relative_to(installed) and training == "False"


@pytest.mark.slow
def test_the_library_commands_run_from_any_folder(installed):
    """``python -m cnnviz.train`` starts and ``python -m cnnviz.bench`` measures outside the
    checkout."""
    assert run_outside(installed, "-m", "cnnviz.train", "--help").startswith("usage: python -m")
    assert "fast path" in run_outside(installed, "-m", "cnnviz.bench", "--quick")


@pytest.mark.slow
def test_the_readme_example_runs_on_the_installed_library(installed):
    """README.md's library example prints the same outside the checkout."""
    printed = run_outside(installed, "-c", library_example()).splitlines()
    assert printed[0] == "[[19.0, 25.0], [37.0, 43.0]]" and printed[-1] == "(3, 3) True"
