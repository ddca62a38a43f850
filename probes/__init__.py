"""Probes: checks that watch components from outside, run on the Celery workers.

`schedule` decides which runs are due at this location and claims them, `batch` runs the
claimed ones concurrently and records what they saw, `runners/` holds one module per
protocol family, `rollup` keeps hourly figures and prunes, `tasks` are what beat ticks.
After each batch's results are written, `signals.results_recorded` is sent.
"""
