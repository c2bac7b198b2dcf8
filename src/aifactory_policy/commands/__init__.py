"""Subcommands: each gathers documents, calls the policies once, and returns a Report."""
