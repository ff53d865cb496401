"""The sandbox's pure, deterministic data layer (public path; the code lives in :mod:`._data`).

See :mod:`amzv_pandas.sandbox._data.sandbox_data` for the rules tests and other modules rely on.
"""

from ._data.sandbox_data import (
    ACCOUNT_MARKETPLACES,
    IDENTIFIER_TYPES,
    INCLUDED_DATA,
    KNOWN_REPORT_TYPES,
    Document,
    InvalidSKUs,
    Outcome,
    SandboxData,
    sku_problem,
)

__all__ = ["SandboxData", "InvalidSKUs", "Outcome", "Document", "sku_problem", "INCLUDED_DATA",
           "IDENTIFIER_TYPES", "ACCOUNT_MARKETPLACES", "KNOWN_REPORT_TYPES"]
