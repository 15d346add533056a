"""The "Inside a CNN" page's sections: the network (:mod:`.model`, :mod:`.rewind`), the
picture (:mod:`.picture`) and every view of the net (:mod:`.views`); the page is
``pages/inside_cnn.py``.

Pictures are numpy/OpenCV mosaics (``cnnviz.mosaic``) and numbers are text or HTML: nothing
here draws a matplotlib figure. Each picture is built and encoded once per (model, picture,
view) and shared through the server's one cache (``ui.cache``). A channel's favourite test
pictures are read from the file stored beside a shipped model's weights; for any other model
the test set is searched, once per model and layer for the whole class. The shipped models
are shared by everyone and are only ever read. A network a student uploads (the file the
Train page gave them, checked by ``cnnviz.model_file``) lives in that student's session; the
shared caches name it by the sha256 of its file.
"""
