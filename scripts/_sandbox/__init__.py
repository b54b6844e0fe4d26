"""Private parts of the offline sandbox (scripts/sandbox.py): stand-in builders and sample texts."""
