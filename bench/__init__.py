"""Benchmarks: ``python3 dev.py bench [name ...]``. Figures are medians and ratios against
plain boto3 measured in the same run, never absolute timings in tests."""
