"""``msctrial monitor analyze``: the method on any CSV, its JSON contract and its exit codes."""

from __future__ import annotations

import json
import math

import pytest

from tests.cli.conftest import assert_one_plain_error, cli  # noqa: F401  (the fixture)

KEYS = {"group", "numerator", "denominator", "metric", "score", "flag", "note"}


@pytest.fixture
def table(tmp_path):  # noqa: ANN001, ANN201
    """Per-subject rows: 19 sites with 10 of 100 subjects discontinued, S20 with 40 of 100."""

    def write(text: str | None = None):  # noqa: ANN202
        path = tmp_path / "sites.csv"
        if text is None:
            lines = ["site,events,subjects"]
            for i in range(1, 21):
                events = 40 if i == 20 else 10
                # two rows per site, summed by the command
                lines += [f"S{i:02d},{events // 2},50", f"S{i:02d},{events - events // 2},50"]
            text = "\n".join(lines) + "\n"
        path.write_text(text, encoding="utf-8")
        return path

    return write


def args(path, *extra):  # noqa: ANN001, ANN201
    return (
        "monitor",
        "analyze",
        "--csv",
        path,
        "--group",
        "site",
        "--numerator",
        "events",
        "--denominator",
        "subjects",
        *extra,
    )


def test_the_json_is_one_row_per_group_with_score_and_flag(cli, table):  # noqa: F811
    result = cli(*args(table(), "--type", "binary", "--json"))
    assert result.code == 1, result  # a site is flagged
    rows = json.loads(result.out)
    assert len(rows) == 20 and all(set(r) == KEYS for r in rows)
    s20 = rows[-1]
    assert s20["group"] == "S20" and (s20["numerator"], s20["denominator"]) == (40, 100)
    assert s20["score"] == pytest.approx(math.sqrt(19)) and s20["flag"] == 2
    assert {r["flag"] for r in rows[:-1]} == {0}


def test_below_the_minimum_denominator_score_and_flag_are_null(cli, table):  # noqa: F811
    result = cli(*args(table(), "--type", "binary", "--min-denominator", "101", "--json"))
    assert result.code == 0
    assert {(r["score"], r["flag"]) for r in json.loads(result.out)} == {(None, None)}


def test_custom_thresholds_and_the_readable_table(cli, table):  # noqa: F811
    result = cli(*args(table(), "--type", "binary", "--thresholds", "5,6"))
    assert result.code == 0, result
    assert "S20" in result.out and "green" in result.out


def test_fisher_and_poisson_run_from_the_command_line(cli, table):  # noqa: F811
    fisher = cli(*args(table(), "--type", "binary", "--method", "fisher", "--json"))
    assert json.loads(fisher.out)[-1]["flag"] == 2
    poisson = cli(*args(table(), "--type", "rate", "--method", "poisson", "--json"))
    # 40 events where 11.5 are expected: deviance residual ≈ 6.5, amber between gsm's 5 and 7
    assert poisson.code == 1 and json.loads(poisson.out)[-1]["flag"] == 1


def test_identity_needs_its_thresholds(cli, table):  # noqa: F811
    result = cli(*args(table(), "--type", "binary", "--method", "identity"))
    assert_one_plain_error(result, "thresholds")
    ok = cli(*args(table(), "--type", "binary", "--method", "identity", "--thresholds", "0.3,0.5"))
    assert ok.code == 1 and "S20" in ok.out


def test_few_groups_are_said_to_be_unable_to_flag(cli, table):  # noqa: F811
    path = table("site,events,subjects\nA,0,10\nB,10,10\nC,5,10\n")
    result = cli(*args(path, "--type", "binary", "--json"))
    assert result.code == 0
    assert "note: with 3 group(s)" in result.err
    assert all("not reassurance" in r["note"] for r in json.loads(result.out))


@pytest.mark.parametrize(
    ("text", "extra", "fragments"),
    [
        ("site,n,subjects\nA,1,10\n", (), ("numerator", "'events'", "'n'")),
        ("site,events,subjects\nA,x,10\n", (), ("events", "row 2", "'x'")),
        ("site,events,subjects\nA,1,10\nB,1,-4\n", (), ("subjects", "row 3", "negative")),
        ("site,events,subjects\nA,1,10\nB,,4\n", (), ("events", "row 3", "empty")),
        ("site,events,subjects\n,1,10\n", (), ("site", "row 2")),
        ("site,events,subjects\n", (), ("csv", "no rows")),
        ("", (), ("csv", "empty")),
        ("site,events,subjects\nA,11,10\n", (), ("numerator", "cannot exceed")),
        ("site,events,subjects\nA,1,10\n", ("--thresholds", "2,x"), ("thresholds",)),
        ("site,events,subjects\nA,1,10\n", ("--thresholds", "3,2"), ("ascending",)),
        ("site,events,subjects\nA,1,10\n", ("--min-denominator", "-1"), ("min_denominator",)),
        ("site,events,subjects\nA,1,10\n", ("--method", "poisson"), ("method", "rate")),
    ],
)
def test_a_bad_file_or_option_exits_2_naming_it(cli, table, text, extra, fragments):  # noqa: F811
    result = cli(*args(table(text), "--type", "binary", *extra))
    assert_one_plain_error(result, *fragments)


def test_an_unknown_method_or_type_is_a_usage_error(cli, table):  # noqa: F811
    assert cli(*args(table(), "--type", "binary", "--method", "bayes")).code == 2
    assert cli(*args(table(), "--type", "count")).code == 2


def test_a_missing_file_is_named(cli, tmp_path):  # noqa: F811
    result = cli(*args(tmp_path / "nope.csv", "--type", "rate"))
    assert_one_plain_error(result, "csv", "does not exist")
