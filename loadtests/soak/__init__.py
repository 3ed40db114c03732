"""Soak test: Tocsin for minutes under steady load and storms, on both backends."""
