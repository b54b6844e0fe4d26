"""Test harness: the in-process local Hub, the network guard and fixture builders."""
