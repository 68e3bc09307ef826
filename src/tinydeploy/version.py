"""The package version (one place; the wheel metadata reads it too)."""

__version__ = "0.2.0"
