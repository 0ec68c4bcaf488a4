"""Comparing runs and exporting the comparison (CSV, JSON, Markdown, SVG); importing JSON back."""
