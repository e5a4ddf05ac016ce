"""Generated drawing sets and service processes shared by tests/, bench/ and tools/; not part of planocr.

The sheet generator (``python -m testkit.sheets``), the page renderers, the
PostgreSQL provider and the server process with its test engines are used by
the tests, the benchmarks and the training and evaluation tools alike, so
they live here rather than in any one of them (bench/ and tools/ import
nothing from tests/). Helpers only the tests use are in tests/support.
"""
