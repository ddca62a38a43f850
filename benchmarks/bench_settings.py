"""The project's settings with the benchmark's URLconf (the live site plus a bare yardstick).

BENCH_PAGE_CACHE=off swaps every cache for a dummy one, so each request renders the page:
what a request costs right after a publish, before the page cache has the new page.
"""

import os

from statuspage.settings import *  # noqa: F403
from statuspage.settings import CACHES

ROOT_URLCONF = "benchmarks.bare_urls"

if os.environ.get("BENCH_PAGE_CACHE") == "off":
    CACHES = {alias: {"BACKEND": "django.core.cache.backends.dummy.DummyCache"} for alias in CACHES}
