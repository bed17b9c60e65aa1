"""Published contracts of MITA's contexts: what one context may know of another.

Per context: the public request models its API takes, the event names it publishes with the
payload fields other contexts read, and the published reference data (categories, their
roll-up, their looks). A context imports its own contracts and other contexts' contracts,
never another context's ``services.<context>`` modules; the gateway imports only these.
"""
