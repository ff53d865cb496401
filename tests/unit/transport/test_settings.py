"""Credentials, profiles and the client's resolution order (no network)."""

import os
import stat

import pytest

import amzv_pandas as amzv
from amzv_pandas._transport import profiles as config
from amzv_pandas._transport.lwa import Credentials, consent_url
from amzv_pandas.exceptions import ConfigurationError, InsecureEndpointError

CREDS = dict(client_id="amzn1.application-oa2-client.test", client_secret="s3cret-value",
             refresh_token="Atzr|refresh-value")


def test_credentials_repr_hides_secrets():
    c = Credentials(**CREDS)
    text = repr(c) + str(c)
    assert "s3cret-value" not in text and "refresh-value" not in text
    assert "amzn1.application-oa2-client.test" in text
    assert len(c.fingerprint) == 16 and "refresh" not in c.fingerprint


def test_credentials_from_env(monkeypatch):
    assert Credentials.from_env() is None
    monkeypatch.setenv("LWA_APP_ID", "id")
    with pytest.raises(ConfigurationError, match="LWA_CLIENT_SECRET, SP_API_REFRESH_TOKEN"):
        Credentials.from_env()
    monkeypatch.setenv("LWA_CLIENT_SECRET", "sec")
    monkeypatch.setenv("SP_API_REFRESH_TOKEN", "tok")
    assert Credentials.from_env() == Credentials("id", "sec", "tok")


def test_credentials_coerce_aliases():
    c = Credentials.coerce({"lwa_app_id": "a", "lwa_client_secret": "b", "refresh_token": "c"})
    assert c == Credentials("a", "b", "c")
    with pytest.raises(ConfigurationError, match="unknown keys"):
        Credentials.coerce({"client_id": "a", "client_secret": "b", "refresh_token": "c", "x": 1})


def test_missing_credentials_name_all_three_places():
    with pytest.raises(ConfigurationError) as info:
        amzv.Client()
    msg = str(info.value)
    assert "credentials=" in msg and "LWA_APP_ID" in msg and "SP_API_REFRESH_TOKEN" in msg
    assert "profile" in msg and str(config.profiles_path()) in msg


def test_profile_saved_0600_and_used(monkeypatch):
    path = config.save_profile("italy", Credentials(**CREDS), marketplace="IT")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert config.list_profiles() == ["italy"]
    client = amzv.Client(profile="italy")
    assert client.marketplace.country_code == "IT" and client.region == "EU"
    assert client.account_key == "profile-italy"
    assert client.credentials.refresh_token == CREDS["refresh_token"]
    with pytest.raises(ConfigurationError, match="profile='spain' not found"):
        amzv.Client(profile="spain")


def test_resolution_order(monkeypatch):
    config.save_profile("default", Credentials("p-id", "p-sec", "p-tok"), marketplace="DE")
    # the default profile is the last resort
    assert amzv.Client().credentials.client_id == "p-id"
    monkeypatch.setenv("LWA_APP_ID", "e-id")
    monkeypatch.setenv("LWA_CLIENT_SECRET", "e-sec")
    monkeypatch.setenv("SP_API_REFRESH_TOKEN", "e-tok")
    env_client = amzv.Client()
    assert env_client.credentials.client_id == "e-id"
    assert env_client.account_key == Credentials("e-id", "e-sec", "e-tok").fingerprint
    assert amzv.Client(credentials=CREDS).credentials.client_id == CREDS["client_id"]
    # marketplace: argument, then AMZV_MARKETPLACE, then the profile's
    monkeypatch.setenv("AMZV_MARKETPLACE", "FR")
    assert amzv.Client(profile="default").marketplace.country_code == "FR"
    assert amzv.Client(profile="default", marketplace="IT").marketplace.country_code == "IT"
    monkeypatch.delenv("AMZV_MARKETPLACE")
    assert amzv.Client(profile="default").marketplace.country_code == "DE"


def test_endpoints_by_region_and_sandbox():
    assert amzv.Client(credentials=CREDS).endpoint == "https://sellingpartnerapi-na.amazon.com"
    assert amzv.Client(credentials=CREDS, marketplace="JP").endpoint == "https://sellingpartnerapi-fe.amazon.com"
    assert (amzv.Client(credentials=CREDS, region="UK-EU", sandbox=True).endpoint
            == "https://sandbox.sellingpartnerapi-eu.amazon.com")
    assert amzv.Client(credentials=CREDS).token_url == "https://api.amazon.com/auth/o2/token"


def test_custom_endpoint_from_env(monkeypatch):
    monkeypatch.setenv("AMZV_ENDPOINT", "https://proxy.example.com/spapi/")
    monkeypatch.setenv("AMZV_TOKEN_URL", "http://127.0.0.1:8000/auth/o2/token")
    c = amzv.Client(credentials=CREDS)
    assert c.endpoint == "https://proxy.example.com/spapi"
    assert c.token_url == "http://127.0.0.1:8000/auth/o2/token"


@pytest.mark.parametrize("param", ["endpoint", "token_url"])
def test_plain_http_refused_off_loopback(param):
    with pytest.raises(InsecureEndpointError) as info:
        amzv.Client(credentials=CREDS, **{param: "http://example.com"})
    assert info.value.parameter == param and "http://example.com" in str(info.value)
    amzv.Client(credentials=CREDS, **{param: "http://localhost:1234"})
    amzv.Client(credentials=CREDS, **{param: "http://[::1]:1234"})


def test_region_mismatch_and_bad_options():
    with pytest.raises(ConfigurationError, match="region EU"):
        amzv.Client(credentials=CREDS, marketplace="DE", region="NA")
    with pytest.raises(ConfigurationError, match="timeout=-1"):
        amzv.Client(credentials=CREDS, timeout=-1)
    with pytest.raises(ConfigurationError, match="max_retries"):
        amzv.Client(credentials=CREDS, max_retries=-2)
    c = amzv.Client(credentials=CREDS, marketplace="US")
    with pytest.raises(ConfigurationError, match="region EU"):
        c.resolve_marketplace("DE")
    with pytest.raises(ConfigurationError, match="no marketplace given"):
        amzv.Client(credentials=CREDS).resolve_marketplace()


def test_client_repr_has_no_secret_and_cache_dir(tmp_path):
    c = amzv.Client(credentials=CREDS, cache_dir=tmp_path)
    assert CREDS["client_secret"] not in repr(c) and CREDS["refresh_token"] not in repr(c)
    assert c.cache_dir == tmp_path
    assert amzv.Client(credentials=CREDS).cache_dir.name == "cache"  # AMZV_CACHE_DIR from conftest


def test_default_client_is_lazy_and_replaceable(monkeypatch):
    mine = amzv.Client(credentials=CREDS)
    amzv.set_default_client(mine)
    assert amzv.get_default_client() is mine
    with pytest.raises(ConfigurationError):
        amzv.set_default_client("nope")


def test_consent_url_vendor_and_seller():
    url = consent_url("amzn1.sp.solution.x", marketplace="UK", state="abc")
    assert url == "https://vendorcentral.amazon.co.uk/apps/authorize/consent?application_id=amzn1.sp.solution.x&state=abc"
    assert consent_url("a", marketplace="DE", state="s", vendor=False, beta=True).startswith(
        "https://sellercentral-europe.amazon.com/apps/authorize/consent?application_id=a&state=s")
    assert consent_url("a", marketplace="DE", state="s", beta=True).endswith("&version=beta")


def test_rate_limited_says_when_to_retry():
    from amzv_pandas.exceptions import RateLimited, error_for_status

    err = error_for_status(429, [{"code": "QuotaExceeded", "message": "You exceeded your quota"}],
                           rate_limit=0.0167, request_id="r-1")
    assert isinstance(err, RateLimited) and err.retry_after == pytest.approx(1 / 0.0167)
    assert RateLimited(429, []).retry_after is None


def test_client_has_the_cache_verbs(tmp_path):
    c = amzv.Client(credentials=CREDS, cache_dir=tmp_path)
    info = c.cache_info()
    assert info.empty and "report_type" in info.columns
    assert c.clear_cache() == 0


def test_a_profile_named_DEFAULT_round_trips_and_lends_nothing(monkeypatch):
    """configparser's DEFAULT section made such a profile unloadable and its keys every profile's."""
    config.save_profile("DEFAULT", Credentials("d-id", "d-secret-value", "Atzr|d-token"), marketplace="DE",
                        token_url="http://127.0.0.1:9/auth/o2/token", endpoint="http://127.0.0.1:9")
    config.save_profile("other", Credentials("o-id", "o-secret-value", "Atzr|o-token"))
    assert sorted(config.list_profiles()) == ["DEFAULT", "other"]
    saved = config.load_profile("DEFAULT")
    assert saved["client_id"] == "d-id" and saved["token_url"] == "http://127.0.0.1:9/auth/o2/token"
    other = config.load_profile("other")
    assert set(other) == {"client_id", "client_secret", "refresh_token"}  # no token_url, endpoint, marketplace
    client = amzv.Client(profile="other")
    assert client.token_url == "https://api.amazon.com/auth/o2/token" and client.marketplace is None
    assert amzv.Client(profile="DEFAULT").credentials.client_id == "d-id"
    # saving again keeps both intact
    config.save_profile("other", Credentials("o-id", "o-secret-value", "Atzr|o-token2"))
    assert config.load_profile("DEFAULT")["refresh_token"] == "Atzr|d-token"
    assert "token_url" not in config.load_profile("other")


@pytest.mark.parametrize("name", ["", " italy", "a]b", "x\ny", 5])
def test_profile_names_that_cannot_round_trip_are_refused(name):
    with pytest.raises(ConfigurationError) as info:
        config.save_profile(name, Credentials(**CREDS))
    assert info.value.parameter == "profile"
    assert not config.profiles_path().exists()
