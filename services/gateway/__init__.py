"""MITA gateway service."""
