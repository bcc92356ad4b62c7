"""loopd: an autonomous sprint loop for AI coding agents."""

__version__ = "0.1.0"
