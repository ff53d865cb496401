"""FATAL reports: Amazon's explanation sorted into a category and a fix.

:func:`classify_fatal` reads the text of a FATAL report's error document (extracted by
:func:`amzv_pandas._parsers.api.error_details`) against :data:`FATAL_RULES`, a table of
patterns checked in order. Sync stops a backfill on category ``"options"``.
"""

from __future__ import annotations

import re

__all__ = ["FATAL_RULES", "classify_fatal"]

# (category, patterns, fix) checked in order: the first matching category wins.
FATAL_RULES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("options", (
        r"requires? the .*report ?options?", r"report ?options? .*(to be specified|missing|required|invalid|not valid)",
        r"invalid (value|report ?option)", r"(reportPeriod|distributorView|sellingProgram)",
        r"must correspond to the (first|last) day", r"must be a (sunday|saturday)",
    ), "Pass every required reportOption with an allowed value (amzv fills the defaults: reportPeriod=DAY, "
       "distributorView=MANUFACTURING, sellingProgram=RETAIL) and align WEEK/MONTH/QUARTER/YEAR ranges to whole "
       "periods (weeks run Sunday-Saturday)."),
    ("not_available", (
        r"not (yet )?available", r"unavailable", r"no data", r"has not been (generated|published)",
        r"in the future", r"later than", r"too (far|old)", r"before the earliest", r"outside .*(range|window)",
        r"exceeds? the maximum", r"date range",
    ), "End the range earlier: vendor data is published about 72 hours after a period closes (net pure product "
       "margin: 168 hours); also keep the start within the report's lookback and each request within its "
       "maximum span."),
    ("permission", (
        r"permission", r"not authori[sz]ed", r"unauthori[sz]ed", r"access (is )?denied", r"does not have access",
        r"brand analytics", r"brand registry", r"\brole", r"not eligible", r"not enrolled",
    ), "The account lacks the role this report needs: grant the application the matching role (e.g. Brand "
       "Analytics for vendor retail analytics) in Vendor/Seller Central and authorize it again."),
    ("marketplace", (
        r"marketplace",
    ), "Request the vendor account's own single marketplace (amzv.marketplaces() lists the ids)."),
)


def classify_fatal(details: str | None) -> tuple[str, str]:
    """Sort a FATAL report's explanation into a category with a suggested fix.

    Parameters
    ----------
    details : str or None
        Text from :func:`error_details`.

    Returns
    -------
    (category, fix) : tuple of str
        ``category`` is ``"options"`` (missing or invalid reportOptions, misaligned
        periods), ``"not_available"`` (data not yet published or out of range),
        ``"permission"`` (role, Brand Analytics, no access), ``"marketplace"`` (invalid
        marketplace) or ``"unknown"``.

    Examples
    --------
    >>> classify_fatal("This report type requires the reportPeriod, distributorView, "
    ...                "sellingProgram reportOption to be specified.")[0]
    'options'
    """
    if not details:
        return "unknown", ("Amazon gave no reason; retry later, and check the options, the date range and the "
                           "account's roles.")
    text = details.lower()
    for category, patterns, fix in FATAL_RULES:
        if any(re.search(p.lower(), text) for p in patterns):
            if category == "options":
                named = [n for n in ("reportPeriod", "distributorView", "sellingProgram") if n.lower() in text]
                if named:
                    fix = f"Specify {', '.join(named)}. " + fix
            return category, fix
    return "unknown", ("Amazon's reason did not match a known cause; check the options, the date range and the "
                       "account's roles, then retry.")
