"""conformite: data-protection and security gap audits for Swiss communes."""

__version__ = "0.1.0"
__all__ = ["__version__"]
