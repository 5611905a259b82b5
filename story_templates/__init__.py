"""The story templates Patchbot ships: a folder of data for editors, not code (README.md)."""
