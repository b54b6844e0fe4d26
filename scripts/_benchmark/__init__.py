"""Private parts of the benchmarks (scripts/benchmark*.py): the naive baseline app, running apps,
the hostile-input corpus, what each Space ships."""
