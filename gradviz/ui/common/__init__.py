"""Shared by every panel: theme and settings."""
