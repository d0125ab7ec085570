"""The pure case domain: values, events, rules, policies and the Case aggregate.

Nothing here does I/O or reads the wall clock; times come in as arguments.
"""
