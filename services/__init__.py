"""MITA bounded-context services."""
