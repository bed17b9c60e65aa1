"""MITA insights service."""
