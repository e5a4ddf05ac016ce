"""Python client for planocr: sync and asyncio."""
