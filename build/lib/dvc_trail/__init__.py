"""dvc-trail: a Git-native registry for DVC data and models, compatible with GTO's tags."""

__version__ = "0.1.0"
