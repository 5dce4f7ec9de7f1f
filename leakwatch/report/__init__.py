"""Reporters: render the collector's findings; never decide anything."""
