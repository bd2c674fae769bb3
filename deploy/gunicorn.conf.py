"""gunicorn settings for `make serve`; every value can be overridden from the environment.

Workers are stateless: everything they share (data, feed versions, sign-in throttling) lives in
the database, so any number of workers on any number of hosts serve the same answers.
"""

import multiprocessing
import os

bind = os.environ.get("BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
# Two per core plus one, gunicorn's rule of thumb for synchronous workers.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
# Threads let a worker keep answering cheap requests (304s) while one builds a feed, and hide
# the database round trip each 304 waits on: with 4, PostgreSQL polls reached 79-98% of the
# trivial route's rate in bench/bench_load.py, against 48-106% with 2 (bench/RESULTS.md).
# A feed version is built by one thread while the others wait, so threads add no parallel builds.
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
# Workers are not recycled by default: their caches (built feeds, serialised events, parsed
# rules) are bounded, and a recycled worker must rebuild them. Set GUNICORN_MAX_REQUESTS to
# recycle anyway (e.g. 200000).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = max_requests // 10
timeout = 30
graceful_timeout = 20
keepalive = 5
# The app is built in each worker, after the fork, so no database connection crosses a fork.
preload_app = False
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
# Only the proxy on this host may set X-Forwarded-*; the app applies ProxyFix when
# CALENDAR_TRUSTED_PROXIES is set.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_fork(server, worker):  # noqa: ANN001, ARG001 - gunicorn's hook signature
    """Each worker sizes its database connections for its threads (``config.pool_options``),
    however they were set: GUNICORN_THREADS, this file or ``--threads``."""
    os.environ["CALENDAR_THREADS"] = str(server.cfg.threads)
