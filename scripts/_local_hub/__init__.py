"""Private implementation of the local Hub double; the public surface is `scripts.local_hub`."""
