"""The How a kernel learns page's settings and animation (:mod:`.view`); the page is
``pages/learn_kernel.py``."""
