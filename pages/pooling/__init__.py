"""The Pooling page's sections (:mod:`.sections`); the page is ``pages/pooling.py``."""
