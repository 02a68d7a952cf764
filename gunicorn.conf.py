"""gunicorn's settings for Cobrand's web processes (read from the working folder by default:
the Procfile's ``web`` and bench/ run gunicorn from the project folder).

The command line sets the bind address, workers and threads; this file adds what a command
line cannot: a hook run in every worker once the app is loaded, and the timeout.
"""

from __future__ import annotations

import gc
from typing import Any

# A sync worker (one thread, the Procfile's default) tells gunicorn it is alive only between
# requests: one that takes longer than this is taken for hung and restarted. 30 s (gunicorn's
# default) is too short for a large batch zip streamed from local storage to a slow client.
timeout = 120


def post_worker_init(worker: Any) -> None:
    """Leave the loaded app out of the garbage collector's full passes.

    A worker holds a few hundred thousand long-lived objects (Flask, SQLAlchemy's mappers and
    compiled statements, pydantic's schemas, Jinja's templates). Python's cyclic collector
    walks all of them on every full collection, with the GIL held: every request the process
    is serving stops meanwhile, which showed as the slowest requests of a page benchmark
    (bench/bench_scale.py). ``gc.freeze()`` moves what exists now to a permanent generation
    that collections skip; what requests allocate is still collected as before.
    """
    gc.collect()
    gc.freeze()
