"""The Train page's sections: the settings (:mod:`.settings`), the class's races on the page
(:mod:`.race`) and the results (:mod:`.results`); the page itself is ``pages/train.py``.

The race itself and the class-wide line of races are plain Python in :mod:`cnnviz.race`; this
module is the Streamlit side. One :class:`~cnnviz.race.Hall` per server (``ui.cache.resource``)
runs the races in worker threads that never call Streamlit; each session remembers the race
it watches, and the page reads it from an ``st.fragment(run_every=...)`` that polls once a
second. Students with the same settings watch one race; a student whose race waits in line
watches the one running meanwhile.

Threads and cores. A worker calls ``torch.set_num_threads(TRAINING_THREADS)`` (1 by default).
That call is process-global in effect: it sets the calling thread's OpenMP team size and the
default every thread started later inherits, so after the first training every later page run
also does its torch work on one thread. On a shared CPU server that is what we want: measured
here with other work running, a training step with 2 threads took 7x longer than with 1,
because each threaded operation waits for a thread the OS has parked. Capacity comes from
running several races instead: ``(cores - 1) // TRAINING_THREADS`` at once (at least 1; one
core stays free to serve the pages). $CNNVIZ_TRAINING_THREADS and $CNNVIZ_TRAINING_SLOTS
override both.
"""
