"""The insights read side: spending facts from the ledger, users from auth, moods and usage."""
