"""The shared core: what a page is read into and how a page record is stored.

``page`` has the geometry and the reading of a page (boxes, words, lines, an
OCR result), ``lines`` groups words into lines, ``fields`` the fields read
from a title block, ``records`` the page states and text sources a page
record carries, ``blocks`` the ``pages.ocr_blocks`` JSON document. Every
other part of planocr (engines, title-block parsing, the database, the
service) builds on these; nothing here imports any of them.
"""
