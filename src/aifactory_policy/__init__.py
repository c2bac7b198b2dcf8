"""AIFactory chart linting, manifest scanning and cluster audit for Claude Code Remote Control."""
__version__ = "0.1.0"
