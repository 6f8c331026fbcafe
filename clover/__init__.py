"""Clover: a unified video-language alignment and fusion toolbox on MMEngine."""
from .version import __version__

__all__ = ['__version__']
