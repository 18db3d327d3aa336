"""qwen-tui: a terminal client for AI coding help from the provider of your choice."""

__version__ = "0.1.0"
