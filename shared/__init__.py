"""The package every app imports; copied into each Space at deploy time.

It must stay small and import nothing from `scripts/` or `tests/`.
"""
