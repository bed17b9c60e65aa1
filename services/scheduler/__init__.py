"""The scheduler: one leader-elected process running the services' periodic work."""
