"""Kuntamittari: a welfare-indicator dashboard for Finnish municipalities.

This package holds what every layer shares (settings, translations, number formats) and the
command-line interface that composes the layers.
"""

__version__ = "0.1.0"
