"""The Convolution page's sections: its window and padding settings (:mod:`.settings`) and the
kernel editor (:mod:`.kernel_editor`); the page is ``pages/convolution.py``."""
