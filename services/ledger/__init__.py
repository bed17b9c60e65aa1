"""MITA ledger service."""
