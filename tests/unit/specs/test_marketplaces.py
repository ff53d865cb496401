import re
from pathlib import Path

import pytest

import amzv_pandas as amzv
from amzv_pandas.exceptions import ConfigurationError, UnknownMarketplaceError
from amzv_pandas._specs.marketplaces import MARKETPLACES, get_marketplace, resolve_marketplaces, resolve_region

README = Path(__file__).resolve().parents[3] / "amzv_pandas" / "sandbox" / "spapi"


def _reference_table() -> list[tuple[str, str, str]]:
    """(code, id, region) rows of the marketplace table in the shared SP-API notes, if present."""
    notes = Path(__file__).resolve().parents[4] / "shared" / "spapi" / "README.md"
    if not notes.exists():
        pytest.skip("shared SP-API notes not present")
    rows = re.findall(r"^\| [^|]+ \| ([A-Z]{2}) \| `([A-Z0-9]+)` \| (NA|EU|FE) \|", notes.read_text(), re.M)
    assert len(rows) >= 20
    return rows


def test_registry_matches_amazons_marketplace_table():
    rows = _reference_table()
    assert {(m.country_code, m.marketplace_id, m.region) for m in MARKETPLACES} == set(rows)


def test_marketplaces_frame():
    df = amzv.marketplaces()
    assert len(df) == len(MARKETPLACES) == 23
    assert list(df.columns[:4]) == ["country_code", "name", "marketplace_id", "region"]
    de = df.set_index("country_code").loc["DE"]
    assert de.marketplace_id == "A1PA6795UKMFR9"
    assert de.endpoint == "https://sellingpartnerapi-eu.amazon.com"
    assert de.sandbox_endpoint == "https://sandbox.sellingpartnerapi-eu.amazon.com"
    assert de.vendor_central == "vendorcentral.amazon.de"
    assert set(amzv.marketplaces(region="FE").country_code) == {"SG", "AU", "JP"}


@pytest.mark.parametrize("value", ["UK", "uk", "GB", "A1F83G8C2ARO7P", " gb "])
def test_uk_aliases(value):
    m = get_marketplace(value)
    assert m.marketplace_id == "A1F83G8C2ARO7P" and m.region == "EU"


def test_id_and_region_follow():
    assert get_marketplace("ATVPDKIKX0DER").country_code == "US"
    assert get_marketplace("JP").region == "FE"
    assert get_marketplace("JP").encoding == "cp932"


def test_unknown_marketplace_lists_valid_codes():
    with pytest.raises(UnknownMarketplaceError) as info:
        get_marketplace("XX")
    err = info.value
    assert isinstance(err, ValueError)
    assert err.parameter == "marketplace" and err.value == "XX"
    assert "'XX'" in str(err) and "US" in str(err) and "DE" in str(err) and "JP" in str(err)


def test_resolve_many_and_limits():
    assert [m.country_code for m in resolve_marketplaces("DE,FR,DE")] == ["DE", "FR"]
    with pytest.raises(ConfigurationError, match="span regions"):
        resolve_marketplaces(["US", "DE"])
    eu = [m.country_code for m in MARKETPLACES if m.region == "EU"]
    with pytest.raises(ConfigurationError, match="at most 10"):
        resolve_marketplaces(eu, limit=10)


@pytest.mark.parametrize("given,expected", [("NA", "NA"), ("uk-eu", "EU"), ("EU", "EU"), ("fe", "FE")])
def test_region_aliases(given, expected):
    assert resolve_region(given) == expected


def test_bad_region():
    with pytest.raises(ConfigurationError, match="region='XY'"):
        resolve_region("XY")
