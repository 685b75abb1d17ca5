"""parlib: PAR INDEX and SIPAS analytics workbook.

The package is divided by what it does (see README, "Package map"). Pure functions
take and return DataFrames; I/O lives in ``parlib.io`` and the readers.
"""

__version__ = "0.1.0"
