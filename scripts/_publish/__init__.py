"""Private parts of scripts/publish.py: what each artifact is built from, and the publish flow."""
