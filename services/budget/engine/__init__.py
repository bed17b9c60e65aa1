"""The pure budget engine: plan, daily distribution, status, redistribution, forecast, health.

No I/O, no clock, no randomness: every function is deterministic in its arguments, so
projections can replay events and get identical read models.
"""
