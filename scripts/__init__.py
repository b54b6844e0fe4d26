"""The suite's tools around the apps: deploy, publish, the local Hub double, the sandbox, benchmarks."""

from pathlib import Path

# The checkout: spaces/, shared/, requirements.txt and the sandbox's files are found from here.
REPO_ROOT = Path(__file__).resolve().parents[1]
