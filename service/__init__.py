"""planocr: a gRPC service that reads construction drawing sets."""

__version__ = "0.1.0"
