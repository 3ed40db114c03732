"""The event log port and its two adapters."""
