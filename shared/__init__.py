"""MITA shared kernel: event envelope, store, relay, projections, settings, observability."""
