"""``serve(accounts=N)``: one server acting as N accounts of one app, each with its own refresh
token, quotas (rate-limit buckets), report state and seeded data."""

from __future__ import annotations

import pickle

import pytest
import requests

from amzv_pandas import sandbox

US = "ATVPDKIKX0DER"
SALES = "GET_VENDOR_SALES_REPORT"


@pytest.fixture(scope="module")
def sb3(make_sandbox):
    # createReport's model burst is 15: a small burst shows the buckets are per account.
    return make_sandbox(speed=1000, processing_seconds=0.2, accounts=3,
                        rate_limits={"createReport": (0.0001, 2), "getReports": (1.0, 100)})


def _token(sb, account: int) -> str:
    creds = sb.account_credentials(account)
    resp = requests.post(sb.token_url, data={"grant_type": "refresh_token", "refresh_token": creds.refresh_token,
                                             "client_id": creds.client_id, "client_secret": creds.client_secret},
                         timeout=10)
    resp.raise_for_status()
    return resp.json()["access_token"]


def _create(sb, token: str) -> requests.Response:
    body = {"reportType": "GET_MERCHANT_LISTINGS_ALL_DATA", "marketplaceIds": [US]}
    return requests.post(f"{sb.url}/reports/2021-06-30/reports", json=body, timeout=10,
                         headers={"x-amz-access-token": token})


def test_each_account_has_its_own_refresh_token_and_the_first_is_the_default(sb3):
    tokens = [sb3.account_credentials(k).refresh_token for k in (1, 2, 3)]
    assert len(set(tokens)) == 3
    assert sb3.credentials.refresh_token == tokens[0]
    assert sb3.accounts == 3 and "accounts=3" in repr(sb3)
    with pytest.raises(ValueError, match="account must be 1 to 3"):
        sb3.account_credentials(4)


def test_quotas_are_per_account(sb3):
    sb3.reset_stats()
    first, second = _token(sb3, 1), _token(sb3, 2)
    assert [_create(sb3, first).status_code for _ in range(3)] == [202, 202, 429]  # account 1's burst is spent
    assert [_create(sb3, second).status_code for _ in range(2)] == [202, 202]      # account 2's is whole
    stats = sb3.stats_by_account()
    assert stats["sandbox-1"]["throttled"] == {"createReport": 1}
    assert stats["sandbox-2"]["calls"] == {"createReport": 2} and stats["sandbox-2"]["throttled"] == {}
    assert stats["sandbox-3"] == {"calls": {}, "throttled": {}}


def test_reports_belong_to_the_account_that_created_them(sb3):
    token = _token(sb3, 3)
    created = _create(sb3, token)
    assert created.status_code == 202
    report_id = created.json()["reportId"]
    mine = requests.get(f"{sb3.url}/reports/2021-06-30/reports/{report_id}", timeout=10,
                        headers={"x-amz-access-token": token})
    other = requests.get(f"{sb3.url}/reports/2021-06-30/reports/{report_id}", timeout=10,
                         headers={"x-amz-access-token": _token(sb3, 1)})
    assert mine.status_code == 200 and other.status_code == 404


def test_accounts_have_their_own_seeded_data(sb3):
    assert sb3.account_data(1) is sb3.data
    assert sb3.account_data(1).sellers[0] != sb3.account_data(2).sellers[0]
    again = sandbox.serve(accounts=2, seed=0)
    try:  # the same seeds give the same data on another server
        assert again.account_data(2).sellers[0] == sb3.account_data(2).sellers[0]
    finally:
        again.close()


def test_clients_are_named_and_talk_as_their_account(sb3):
    clients = sb3.clients()
    try:
        assert [c.name for c in clients] == ["sandbox-1", "sandbox-2", "sandbox-3"]
        assert clients[1].credentials == sb3.account_credentials(2)
        assert sb3.client().credentials == sb3.account_credentials(1)
        sb3.reset_stats()
        clients[2].request("GET", "/reports/2021-06-30/reports", params={"reportTypes": [SALES]})
        assert sb3.stats_by_account()["sandbox-3"]["calls"] == {"getReports": 1}
    finally:
        for c in clients:
            c.close()


def test_account_options_pickle_and_hide_secrets(sb3):
    options = sb3.account_options(2)
    assert options["name"] == "sandbox-2"
    assert pickle.loads(pickle.dumps(options))["credentials"] == sb3.account_credentials(2)
    assert sb3.account_credentials(2).refresh_token not in repr(options)


def test_a_one_account_server_is_unchanged(make_sandbox):
    sb = make_sandbox(speed=1000)
    assert sb.accounts == 1 and "accounts=" not in repr(sb)
    assert sb.client().name == sb.credentials.fingerprint  # no name given: the account key, as before
    assert [c.name for c in sb.clients()] == ["sandbox-1"]


@pytest.mark.parametrize("value", [0, -1, 1.5, True, "2"])
def test_accounts_must_be_a_positive_int(value):
    with pytest.raises(ValueError, match="accounts must be an int >= 1"):
        sandbox.serve(accounts=value)


def test_main_with_accounts_prints_every_accounts_refresh_token():
    import signal
    import subprocess
    import sys

    code = "from amzv_pandas.sandbox import main; raise SystemExit(main(['--port', '0', '--accounts', '2']))"
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines: list[str] = []
        while not any(line.startswith("Press Ctrl-C") for line in lines):
            line = proc.stdout.readline()
            assert line, proc.stderr.read()
            lines.append(line.strip())
        env = dict(line.split(" ", 1)[1].split("=", 1) for line in lines if line.startswith("export "))
        second = next(line for line in lines if line.startswith("Account 2:")).split("SP_API_REFRESH_TOKEN=", 1)[1]
        for refresh in (env["SP_API_REFRESH_TOKEN"].strip("'"), second.strip("'")):
            resp = requests.post(env["AMZV_TOKEN_URL"], timeout=10, data={
                "grant_type": "refresh_token", "refresh_token": refresh,
                "client_id": env["LWA_APP_ID"], "client_secret": env["LWA_CLIENT_SECRET"]})
            assert resp.status_code == 200
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdout.close()
        proc.stderr.close()
