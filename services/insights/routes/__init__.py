"""The insights service's HTTP routes (internal; the gateway publishes them)."""
