"""MITA benchmarks: append, relay, projection, rebuild and end-to-end lag figures (printed)."""
