"""Generated protobuf and gRPC stubs for planocr.v1 (tools/gen_protos.py)."""
