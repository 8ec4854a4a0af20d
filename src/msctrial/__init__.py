"""msctrial: clinical research on mesenchymal stem cell therapy for COVID-19 and ARDS.

The library's face is each feature package's ``__all__`` (``msctrial.protocol``,
``msctrial.product``, ``msctrial.clinical``, ``msctrial.registry``, ``msctrial.simulation``)
and ``msctrial.core``'s errors and settings; anything else may change between versions.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
