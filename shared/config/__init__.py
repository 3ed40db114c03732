"""Loading Tocsin's YAML config file and the process settings."""
