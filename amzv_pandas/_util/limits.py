"""Bounds on a report document's decompression: a setting of the client, used by the parsers.

It lives here, below both, so the transport can hold it without importing the parsers.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

from ..exceptions import ConfigurationError

__all__ = ["DocumentLimits"]


@dataclass(frozen=True)
class DocumentLimits:
    """Bounds on a document's decompression.

    Parameters
    ----------
    max_expanded_bytes : int, default 20 GiB
        Largest decompressed (or plain) document accepted.
    max_ratio : float, default 1000
        Largest expanded/compressed size ratio accepted (checked once
        :data:`amzv_pandas._parsers.gunzip.RATIO_FLOOR_BYTES` have come out);
        ``math.inf`` disables the rule.

    Raises
    ------
    ConfigurationError
        A limit that is not a positive number (the ratio must be above 1).
    """

    max_expanded_bytes: int = 20 * 2**30
    max_ratio: float = 1000.0

    def __post_init__(self) -> None:
        size = self.max_expanded_bytes
        if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1:
            msg = f"max_expanded_bytes={size!r} must be a positive whole number of bytes"
            raise ConfigurationError(msg, parameter="max_expanded_bytes", value=size, allowed="int >= 1")
        ratio = self.max_ratio
        if (isinstance(ratio, bool) or not isinstance(ratio, numbers.Real) or math.isnan(ratio)
                or ratio <= 1):
            msg = f"max_ratio={ratio!r} must be a number above 1 (math.inf disables the ratio rule)"
            raise ConfigurationError(msg, parameter="max_ratio", value=ratio, allowed="float > 1")
