"""msctrial: clinical research on mesenchymal stem cell therapy for COVID-19 and ARDS."""

__version__ = "0.1.0"
