"""Private parts of scripts/benchmark.py: the naive baseline apps."""
