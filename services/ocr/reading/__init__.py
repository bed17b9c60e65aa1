"""Reading a receipt: image checks and re-encoding, OCR engines, and parsing the text."""
