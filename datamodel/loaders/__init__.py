"""Loaders: each turns one source format into observations and writes one `load_batch`."""
