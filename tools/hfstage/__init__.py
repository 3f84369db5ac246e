"""hfstage: offline patch management for legacy Windows sites, run from a staging share."""

__version__ = "0.1.0"
