"""The job layer: a page's life from claim to release, document runs, uploads, the OCR pools and engine workers.

:mod:`planocr.jobs.pipeline` is the page job (claim, wait for another holder,
fetch, read, save, release); :mod:`planocr.jobs.scheduler` runs it for every
page of a document; :mod:`planocr.jobs.fanout` sends pages to replicas
through :mod:`planocr.client`; :mod:`planocr.jobs.uploads` stores new
documents. It knows nothing of gRPC messages.
"""
