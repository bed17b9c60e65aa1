"""The OCR saga's worker: uploaded receipts in, readings (or failures) out."""
