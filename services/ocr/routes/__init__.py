"""The OCR service's HTTP routes (internal; the gateway publishes them)."""
