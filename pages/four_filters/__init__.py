"""The Four filters page's sections (:mod:`.sections`); the page is ``pages/four_filters.py``."""
