"""MITA budget service."""
