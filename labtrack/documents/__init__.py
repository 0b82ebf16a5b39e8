"""PDF and label documents (reportlab, python-barcode). Pure renderers: data in, bytes out."""
