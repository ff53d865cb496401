"""``Client._repr_html_``: what a notebook shows for a client (account, marketplace, region, endpoint; no secret)."""

from __future__ import annotations

import amzv_pandas as amzv


def test_client_html_names_the_account_and_never_a_secret() -> None:
    creds = {"client_id": "amzn1.application-oa2-client.x", "client_secret": "s3cr3t" * 5,
             "refresh_token": "Atzr|" + "r" * 30}
    client = amzv.Client(credentials=creds, marketplace="DE")
    shown = client._repr_html_()
    for word in ("account", "marketplace", "region", "endpoint", "Germany (DE, A1PA6795UKMFR9)", "EU",
                 client.endpoint, client.account_key):
        assert word in shown, word
    for secret in (creds["client_secret"], creds["refresh_token"], creds["client_id"]):
        assert secret not in shown
