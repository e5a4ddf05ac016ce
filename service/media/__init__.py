"""What arrives as bytes: image decoding and its limits, PDF pages, PDF text layers and their fonts."""
