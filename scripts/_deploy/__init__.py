"""Private parts of the deploy (scripts/deploy.py): staging, syncing, waiting, retries, reports."""
