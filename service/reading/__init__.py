"""Reading a sheet: the engine passes over a page and the title-block parser on what they read.

Runs in the engine worker processes (or on an OCR thread); it opens no
database connection and touches no storage.
"""
