"""MITA ocr service."""
