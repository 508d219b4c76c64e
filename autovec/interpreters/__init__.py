"""Transformations as interpreters: batching (vmap); staging and jit come on top."""
