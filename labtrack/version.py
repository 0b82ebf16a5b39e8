"""The labtrack version (also the kinship engine version recorded with every match run)."""

__version__ = "0.1.0"
