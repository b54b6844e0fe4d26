"""Private parts of the offline sandbox (scripts/sandbox.py): stand-in builders, the wheels and
cards they use, sample texts."""
