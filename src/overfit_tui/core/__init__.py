"""Headless core: specs, events, errors and paths. Imports neither torch nor Textual."""
