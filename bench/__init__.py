"""Load benchmark (``python bench/run.py``) and its baseline views.

The views in ``bench.views`` are mounted only when ``settings.BENCH_VIEWS`` is on
(``CNT_BENCH_VIEWS=1``, never in production); nothing else here is imported by the app.
"""
