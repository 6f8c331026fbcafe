"""Converters from the public annotation files of each corpus to Clover's
schema (``docs/data_preparation.md``). One module per corpus; the command
line entry points are ``tools/data/<corpus>/convert.py``."""
