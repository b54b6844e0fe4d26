"""Private parts of the deploy (scripts/deploy.py), one concern a module: bundle, requirements,
card, checks, secrets, pins, sources, platform, plan, apply, wait (docs/architecture.md)."""
