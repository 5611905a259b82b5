"""Patchbot: drafts local Covid-19 neighbourhood stories from PHE data for reporters."""

__version__ = "0.2.0"
