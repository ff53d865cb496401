"""The ``amzv`` command line as a terminal user meets it: errors in the CLI's words, exit codes,
the sync summary and every subcommand's ``--help`` (no network: the checks run before any call)."""

from __future__ import annotations

import datetime as dt

import pytest

from amzv_pandas._frontends.cli import cli_message, main, sync_main, sync_summary
from amzv_pandas._sync.result import SyncResult
from amzv_pandas.exceptions import ConfigurationError, UnknownReportTypeError

SALES = "GET_VENDOR_SALES_REPORT"


@pytest.fixture
def fake_credentials(monkeypatch):
    # Credentials that would reach a closed port: the argument checks must refuse first.
    for name, value in (("LWA_APP_ID", "id"), ("LWA_CLIENT_SECRET", "s"), ("SP_API_REFRESH_TOKEN", "r"),
                        ("AMZV_ENDPOINT", "http://127.0.0.1:9")):
        monkeypatch.setenv(name, value)


# --------------------------------------------------------------------------- unknown report types


def test_typod_report_type_exits_2_with_one_line_did_you_mean(tmp_path, fake_credentials, capsys):
    rc = sync_main(["GET_VENDOR_SALEZ", str(tmp_path / "ds"), "--start", "2026-04-01", "--no-progress"])
    captured = capsys.readouterr()
    assert rc == 2
    assert captured.out == ""
    err = captured.err.strip()
    assert "\n" not in err and "Traceback" not in err
    assert err.startswith("amzv sync: error: ") and "did you mean 'GET_VENDOR_SALES_REPORT'" in err
    assert "--allow-unknown" in err and "allow_unknown=" not in err


def test_typod_report_type_through_main_exits_2(tmp_path, fake_credentials, capsys):
    assert main(["sync", "GET_VENDOR_SALEZ", str(tmp_path / "ds"), "--start", "2026-04-01"]) == 2
    assert "did you mean" in capsys.readouterr().err


def test_allow_unknown_passes_the_type_through(tmp_path, fake_credentials, monkeypatch, capsys):
    seen = {}

    def fake_sync(report_type, path, **kwargs):
        seen.update(kwargs, report_type=report_type)
        raise ConfigurationError("stop here")

    monkeypatch.setattr("amzv_pandas._sync.sync.sync", fake_sync)
    sync_main(["GET_VENDOR_SALEZ", str(tmp_path / "ds"), "--start", "2026-04-01", "--allow-unknown"])
    assert seen["report_type"] == "GET_VENDOR_SALEZ" and seen["allow_unknown"] is True


# --------------------------------------------------------------------------- CLI advice


def test_missing_credentials_give_cli_advice(tmp_path, capsys):
    rc = sync_main([SALES, str(tmp_path / "ds"), "--start", "2026-04-01"])
    err = capsys.readouterr().err
    assert rc == 2
    assert "amzv authorize" in err and "--profile NAME" in err and "amzv sandbox" in err
    assert "AMZV_PROFILE" in err and "looked for profile 'default'" in err
    assert "credentials=" not in err and "amzv.authorize()" not in err and "serve()" not in err


def test_parameter_names_become_flags(tmp_path, fake_credentials, capsys):
    assert sync_main([SALES, str(tmp_path / "ds"), "--start", "2026-04-01"]) == 2
    err = capsys.readouterr().err
    assert "pass --marketplace (e.g. 'US')" in err and "marketplace=" not in err
    assert sync_main([SALES, str(tmp_path / "ds"), "--start", "abc", "--marketplace", "US"]) == 2
    err = capsys.readouterr().err
    assert "--start 'abc'" in err and "start=" not in err
    assert "pandas Timestamp" not in err  # Python-only forms mean nothing on a command line


@pytest.mark.parametrize(("text", "parameter", "expected", "absent"), [
    ("report_type='X' is not known; pass allow_unknown=True", "report_type",
     "REPORT_TYPE 'X' is not known; pass --allow-unknown", "report_type="),
    ("budget='2x' is not a duration", "budget", "--budget '2x' is not a duration", "budget="),
    ("start='today-1', end='today-4': start after end", "start",
     "--start 'today-1', --end 'today-4': start after end", "end="),
    ("report_options={'a': 1} is odd", "report_options", "--option {'a': 1} is odd", "report_options="),
])
def test_cli_message_maps_parameters_to_flags(text, parameter, expected, absent):
    msg = cli_message(ConfigurationError(text, parameter=parameter))
    assert msg == expected and absent not in msg


def test_cli_message_leaves_other_words_alone():
    # only whole keywords are mapped: not "max_end=" or "amzv.start="
    assert cli_message(UnknownReportTypeError("max_end=3 and x.start=4")) == "max_end=3 and x.start=4"


# --------------------------------------------------------------------------- the sync summary


def _result(**kw) -> SyncResult:
    base = dict(path="/data/sales", report_type=SALES, marketplace_id="ATVPDKIKX0DER", status="complete",
                days_added=45, days_remaining=0, days_pending=3, rows_added=2250, failures={},
                windows=[{"start": dt.date(2026, 4, 1), "end": dt.date(2026, 4, 15), "status": "done",
                          "rows": 750, "reason": None}] * 3,
                calls={"createReport": 3, "getReport": 6}, elapsed=dt.timedelta(seconds=12.5))
    base.update(kw)
    return SyncResult(**base)


def test_sync_summary_says_what_was_added_and_what_comes_next():
    text = sync_summary(_result())
    assert "<SyncResult" not in text
    assert "added 45 days (2250 rows) from 3 windows, 0 failed" in text
    assert "up to date" in text and "3 days inside the publication lag" in text


def test_sync_summary_names_failed_windows_and_the_retry():
    failed = {"start": dt.date(2026, 4, 2), "end": dt.date(2026, 4, 2), "status": "failed", "rows": 0,
              "reason": "Amazon: report not available"}
    text = sync_summary(_result(status="failed", days_added=1, days_remaining=1, days_pending=0,
                                rows_added=50, windows=[failed], failures={dt.date(2026, 4, 2): "x"}))
    assert "added 1 day (50 rows) from 1 window, 1 failed" in text
    assert "failed 2026-04-02: Amazon: report not available" in text
    assert "retried by the next run" in text


def test_sync_summary_partial_says_what_is_left():
    text = sync_summary(_result(status="partial", days_remaining=30, days_pending=0))
    assert "30 days left to fetch" in text and "run the same command again" in text


def test_cli_sync_prints_the_summary_not_the_repr(tmp_path, fake_credentials, monkeypatch, capsys):
    monkeypatch.setattr("amzv_pandas._sync.sync.sync", lambda *a, **k: _result())
    assert sync_main([SALES, str(tmp_path / "ds"), "--start", "2026-04-01"]) == 0
    out = capsys.readouterr().out
    assert "<SyncResult" not in out and "added 45 days" in out


# --------------------------------------------------------------------------- --help


@pytest.mark.parametrize("command", [[], ["demo"], ["authorize"], ["sync"], ["sandbox"], ["profiles"]])
def test_every_help_has_an_example_and_the_exit_codes(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([*command, "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "examples:" in out and "amzv " in out.split("examples:")[1]
    assert "exit codes:" in out
    # the sandbox server runs until Ctrl-C, which is its normal end
    codes = ("0 ", "2 ") if command == ["sandbox"] else ("0 ", "1 ", "2 ", "130 ")
    for code in codes:
        assert f"\n  {code}" in out


# --------------------------------------------------------------------------- profiles


def test_profiles_lists_accounts_without_secrets(capsys):
    from amzv_pandas._transport.lwa import Credentials
    from amzv_pandas._transport.profiles import save_profile

    assert main(["profiles"]) == 0
    assert "no profiles saved" in capsys.readouterr().out
    save_profile("acme-de", Credentials("amzn1.id", "client-secret-xyz", "Atzr|token-xyz"), marketplace="DE")
    save_profile("acme-us", Credentials("amzn1.id", "client-secret-xyz", "Atzr|token-xyz"), marketplace="US")
    assert main(["profiles"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split() == ["name", "marketplace", "region", "endpoint"]
    assert lines[1].split()[:3] == ["acme-de", "DE", "EU"] and "sellingpartnerapi-eu.amazon.com" in lines[1]
    assert "secret" not in out and "Atzr" not in out
    assert main(["profiles", "--names"]) == 0
    assert capsys.readouterr().out.split() == ["acme-de", "acme-us"]
