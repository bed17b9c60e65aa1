"""MITA auth service."""
