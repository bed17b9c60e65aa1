"""The OCR read side: the receipt jobs read model and its queries."""
