"""kassi: catch the performance regression a code change brings before it ships."""

__version__ = "0.1.0"
