"""``amzv.Client``: the SP-API transport plus the library's verbs as methods.

Each verb is one call into its domain module with ``client=self``; the documentation lives
with the domain function (the methods point to it), so nothing is written twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._transport.http import Transport

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Client"]


class Client(Transport):
    __doc__ = Transport.__doc__.replace(  # type: ignore[union-attr]
        "A connection to the Selling Partner API for one account (HTTP only; ``amzv.Client`` adds the verbs).",
        "A connection to the Selling Partner API for one account, with the library's verbs as methods.",
        1,
    )

    # The domain modules are imported when a verb is first used: amzv.Client stays cheap to import.
    def read_report(self, report_type: str, start: Any = None, end: Any = None, **kwargs: Any) -> "pd.DataFrame":
        """Create (or reuse) a report and return it as a DataFrame; see :func:`amzv.read_report`."""
        from .._reports import api

        return api.read_report(report_type, start, end, client=self, **kwargs)

    def get_report(self, report_id: str | None = None, **kwargs: Any) -> "pd.DataFrame":
        """Download an existing report; see :func:`amzv.get_report`."""
        from .._reports import api

        return api.get_report(report_id, client=self, **kwargs)

    def list_reports(self, report_types: Any = None, **kwargs: Any) -> "pd.DataFrame":
        """List reports; see :func:`amzv.list_reports`."""
        from .._reports import api

        return api.list_reports(report_types, client=self, **kwargs)

    def list_report_schedules(self, report_types: Any = None, **kwargs: Any) -> "pd.DataFrame":
        """List report schedules; see :func:`amzv.list_report_schedules`."""
        from .._reports import api

        return api.list_report_schedules(report_types, client=self, **kwargs)

    def cache_info(self) -> "pd.DataFrame":
        """This client's cached reports; see :func:`amzv.cache_info`."""
        from .._cache import store

        return store.cache_info(client=self)

    def clear_cache(self, **kwargs: Any) -> int:
        """Remove cached reports; see :func:`amzv.clear_cache`."""
        from .._cache import store

        return store.clear_cache(client=self, **kwargs)

    def get_catalog_items(self, asins: Any = None, **kwargs: Any) -> "pd.DataFrame":
        """Look catalog items up by ASIN or SKU; see :func:`amzv.get_catalog_items`."""
        from .._catalog import api

        return api.get_catalog_items(asins, client=self, **kwargs)

    def search_catalog_items(self, keywords: Any = None, **kwargs: Any) -> "pd.DataFrame":
        """Search the catalog; see :func:`amzv.search_catalog_items`."""
        from .._catalog import api

        return api.search_catalog_items(keywords, client=self, **kwargs)

    def marketplace_participations(self) -> "pd.DataFrame":
        """The account's marketplaces (Sellers API ``getMarketplaceParticipations``)."""
        from .. import _sellers

        return _sellers.marketplace_participations(client=self)

    def read_vendor_analytics(self, start: Any = None, end: Any = None, **kwargs: Any) -> "pd.DataFrame":
        """Vendor Analytics from Data Kiosk as a DataFrame; see :func:`amzv.read_vendor_analytics`."""
        from .._datakiosk import api

        return api.read_vendor_analytics(start, end, client=self, **kwargs)

    def query_data_kiosk(self, query: str, **kwargs: Any) -> "pd.DataFrame":
        """Run any Data Kiosk GraphQL query, every page, flattened; see :func:`amzv.query_data_kiosk`."""
        from .._datakiosk import api

        return api.query_data_kiosk(query, client=self, **kwargs)

    def _repr_html_(self) -> str:
        """The client in a notebook: account, marketplace, region and endpoint (never a secret)."""
        import html

        market = self.marketplace
        rows = {
            "account": getattr(self, "name", None) or self.account_key,
            "marketplace": f"{market.name} ({market.country_code}, {market.marketplace_id})" if market else "none",
            "region": self.region,
            "endpoint": self.endpoint,
        }
        cells = "".join(f'<tr><th style="text-align:left;padding-right:12px">{html.escape(k)}</th>'
                        f"<td style=\"text-align:left\">{html.escape(str(v))}</td></tr>" for k, v in rows.items())
        return f"<div><b>amzv.Client</b><table>{cells}</table></div>"
