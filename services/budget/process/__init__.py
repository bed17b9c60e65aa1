"""The budget's process managers: ledger events in, budget commands out."""
