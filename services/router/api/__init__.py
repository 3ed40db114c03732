"""The incidents HTTP API: commands (acknowledge, resolve, snooze, reassign, notes,
commander), one-click links from pages, and the incident read models."""
