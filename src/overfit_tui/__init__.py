"""overfit-tui: a terminal lab for 'are deep neural networks dramatically overfitted?'."""

__version__ = "0.1.0"
