"""The operators' service: event streams, replays, projections and dead letters (admin)."""
