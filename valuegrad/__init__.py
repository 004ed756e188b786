"""valuegrad: the application — the `valuegrad` command and the lecture's experiments."""

__version__ = "0.1.0"
