"""The budget's HTTP routes (thin: parse, use case or query, answer)."""
