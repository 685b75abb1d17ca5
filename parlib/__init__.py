"""parlib: PAR INDEX and SIPAS analytics workbook.

The package is divided by what it does (see README, "Package map"). Pure functions
take and return DataFrames; I/O lives in ``parlib.io`` and the readers.
"""

import os

# Written workbooks are byte-for-byte reproducible (the bundled samples are compared by hash):
# openpyxl serialises XML differently when lxml is importable (python-docx brings it), so it is
# told to use the standard library's writer whatever is installed. Set before openpyxl loads.
os.environ.setdefault("OPENPYXL_LXML", "False")

__version__ = "0.1.0"
