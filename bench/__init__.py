"""Remit benchmarks (``python -m bench [--quick] [--only ...]``; ``make bench`` / ``bench-quick``).

Not tests: nothing here asserts a figure. Every workload measures Remit and, in the same run on
the same PostgreSQL/Kafka, a baseline, and reports the ratio. Results go to
``bench/results/<workload>.json``; ``docs/benchmarks.md`` is generated from them.
"""
