"""Examples of planocr in use: see README.md."""
