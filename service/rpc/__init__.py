"""The RPC layer: the gRPC server, the servicer, message conversion, interceptors, auth, TLS, health and metrics.

It turns requests into calls on the job layer (:mod:`planocr.jobs`) and their
results into ``planocr.v1`` messages; it holds no page logic of its own.
"""
