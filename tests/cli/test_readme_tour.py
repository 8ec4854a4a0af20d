"""README's tour, executed: every `msctrial …` example in README.md runs here, in its order.

Each step names the README text it follows (which must still be in README.md), the arguments
it runs with (placeholders filled, ``--password-stdin`` where the README's user would type the
password), the exit code README promises and a fragment of what it prints. A command README
mentions that is neither run here nor listed in ``NOT_RUN`` with its reason fails the suite,
so the tour cannot rot.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.cli.conftest import REPO
from tests.registry.records import dumps, msc_placebo_trial

README = re.sub(r"\s*\n\s*", " ", (REPO / "README.md").read_text(encoding="utf-8"))
PASSWORD = "a-long-tour-password"
LOT = "UCM-2026-101"
SEVERE = {
    "age_years": 61,
    "pneumonia_on_imaging": True,
    "respiratory_rate": 32,
    "spo2_rest_pct": 91,
}
VITALS = {
    "respiratory_rate": 24,
    "heart_rate": 96,
    "temperature": 37.4,
    "spo2": 94,
    "systolic_bp": 122,
    "diastolic_bp": 78,
}

# (README text, arguments, exit code, fragment of the output); README text None: a set-up step.
TOUR: list[tuple[str | None, list[str], int, str]] = [
    ("msctrial protocol check examples/protocols/guidance-reference.yaml",
     ["protocol", "check", "examples/protocols/guidance-reference.yaml"], 0, "no findings"),
    ("msctrial protocol check examples/protocols/NCT04273646.yaml",
     ["protocol", "check", "examples/protocols/NCT04273646.yaml"], 1, "dose_per_kg"),
    ("msctrial db upgrade", ["db", "upgrade"], 0, "up to date"),
    ("msctrial site add CODE NAME [--altitude-m M --pressure-mmhg P]",
     ["site", "add", "WUH", "Wuhan Union Hospital", "--altitude-m", "37"], 0, "added site WUH"),
    ("msctrial site list", ["site", "list"], 0, "Wuhan Union Hospital"),
    ("msctrial user add USERNAME --role investigator@WUH --role monitor [--password-stdin]",
     ["user", "add", "li.wei", "--role", "investigator@WUH", "--role", "monitor",
      "--password-stdin"], 0, "added li.wei"),
    (None, ["user", "add", "qc", "--role", "qc", "--password-stdin"], 0, "added qc"),
    ("msctrial user token USERNAME", ["user", "token", "li.wei"], 0, ""),
    ("msctrial user list [--json]", ["user", "list"], 0, "investigator@WUH, monitor"),
    ("msctrial user tokens USERNAME [--json]", ["user", "tokens", "li.wei"], 0, "live"),
    ("msctrial user revoke-token USERNAME ID --reason R",
     ["user", "revoke-token", "li.wei", "1", "--reason", "tour"], 0, "token 1 of li.wei revoked"),
    ("msctrial user remove-role USERNAME ROLE --reason R",
     ["user", "remove-role", "li.wei", "monitor", "--reason", "tour"], 0, "removed monitor"),
    ("msctrial user reset-password USERNAME --reason R [--password-stdin]",
     ["user", "reset-password", "li.wei", "--reason", "tour", "--password-stdin"], 0,
     "sessions ended"),
    (None, ["user", "add", "gone", "--role", "monitor", "--password-stdin"], 0, "added gone"),
    ("msctrial user deactivate USERNAME --reason R",
     ["user", "deactivate", "gone", "--reason", "tour"], 0, "deactivated gone"),
    ("msctrial user reactivate USERNAME --reason R",
     ["user", "reactivate", "gone", "--reason", "tour"], 0, "reactivated gone"),
    ("msctrial user lockouts [--json]", ["user", "lockouts"], 0, "no user is locked out"),
    ("msctrial user unlock USERNAME", ["user", "unlock", "li.wei"], 0, "unlocked li.wei"),
    ("msctrial protocol load FILE [--trial CODE]",
     ["protocol", "load", "examples/protocols/guidance-reference.yaml", "--trial", "TOUR"], 0,
     "saved as protocol version 1"),
    ("msctrial protocol show TRIAL [--version N] [--json]",
     ["protocol", "show", "TOUR", "--version", "1", "--json"], 0, '"findings": []'),
    ("msctrial product spec check FILE",
     ["product", "spec", "check", "examples/specifications/bad-unknown-criterion.yaml"], 2,
     "tests[0].criterion.type"),
    ("msctrial product spec load FILE",
     ["product", "spec", "load", "src/msctrial/product/specifications/default.yaml"], 0,
     "stored msc-default@1.0"),
    ("msctrial product lot add examples/lots/UCM-2026-101.yaml --user qc",
     ["product", "lot", "add", "examples/lots/UCM-2026-101.yaml", "--user", "qc",
      "--password-stdin"], 0, "recorded in quarantine with 20 units"),
    ("msctrial product lots [--status S] [--json]",
     ["product", "lots", "--status", "quarantine", "--json"], 0, LOT),
    ("msctrial product lot show LOT [--json]", ["product", "lot", "show", LOT], 0, LOT),
    ("msctrial product result add LOT --level release --file "
     "examples/lots/UCM-2026-101-release.yaml --user qc",
     ["product", "result", "add", LOT, "--level", "release", "--file",
      "examples/lots/UCM-2026-101-release.yaml", "--user", "qc", "--password-stdin"], 0,
     "release result(s) saved"),
    ("msctrial product decision LOT", ["product", "decision", LOT], 1, "release blocked"),
    ("msctrial product release LOT --user qc",
     ["product", "release", LOT, "--user", "qc", "--password-stdin"], 2,
     "no passed quality inspection"),
    ("msctrial product recall LOT --reason R --user qc",
     ["product", "recall", LOT, "--reason", "tour", "--user", "qc", "--password-stdin"], 2,
     "it cannot become recalled"),
    ("msctrial product reject LOT --reason R --user qc",
     ["product", "reject", LOT, "--reason", "sterility not assured", "--user", "qc",
      "--password-stdin"], 0, "rejected"),
    ("msctrial product trace --lot LOT --json", ["product", "trace", "--lot", LOT, "--json"], 0,
     '"recipients": []'),
    ("msctrial product trace --subject WUH-001 --json",
     ["product", "trace", "--subject", "WUH-001", "--json"], 2, "no units were issued"),
    ("msctrial clinical severity --input obs.json [--json] [--site WUH --db PATH]",
     ["clinical", "severity", "--input", "{tmp}/obs.json", "--json"], 0, '"severity": "severe"'),
    ("msctrial clinical randomisation-setup [--seed-file F] [--per-stratum N]",
     ["clinical", "randomisation-setup", "--per-stratum", "8"], 0, ""),
    ("msctrial clinical randomisation-status [--json]",
     ["clinical", "randomisation-status", "--json"], 0, '"slots"'),
    ("msctrial clinical subjects [--site S] [--status S] [--json]",
     ["clinical", "subjects", "--site", "WUH", "--json"], 0, "[]"),
    ("msctrial clinical unblindings [--json]", ["clinical", "unblindings", "--json"], 0, "[]"),
    ("msctrial clinical forms [FORM] [--json]", ["clinical", "forms", "vital_signs"], 0, "heart_rate"),
    ("msctrial clinical check-form FORM --input values.json [--altitude-m M] "
     "[--pressure-mmhg P] [--json]",
     ["clinical", "check-form", "vital_signs", "--input", "{tmp}/vitals.json", "--json"], 0,
     '"heart_rate"'),
    ("msctrial clinical overdue [--site S] [--json]", ["clinical", "overdue", "--json"], 0, "[]"),
    ("msctrial clinical queries [--status open|answered| closed] [--site S] [--json]",
     ["clinical", "queries", "--status", "open", "--json"], 0, "[]"),
    ("msctrial clinical sae-reports [--state due|overdue|pending|submitted|submitted_late] "
     "[--json]", ["clinical", "sae-reports", "--state", "overdue", "--json"], 0, "[]"),
    ("msctrial clinical casebook SUBJECT [--json]",
     ["clinical", "casebook", "WUH-001", "--json"], 2, "WUH-001"),
    ("msctrial clinical export-values [--site S] [--out FILE]",
     ["clinical", "export-values", "--out", "{tmp}/values.csv"], 0, ""),
    ("msctrial registry load PATH…", ["registry", "load", "{tmp}/records"], 0, "1"),
    ("msctrial registry extract PATH… --json", ["registry", "extract", "{tmp}/records", "--json"],
     0, '"NCT04371601"'),
    ("msctrial registry table1 PATH… --format md|csv|json",
     ["registry", "table1", "{tmp}/records", "--format", "csv"], 0, "NCT04371601"),
    ("msctrial registry landscape [--as-of DATE] [--registry NAME…] [--json] [--compare-seed]",
     ["registry", "landscape", "--as-of", "2020-07-07", "--json"], 0, "{"),
    ("msctrial registry landscape --compare-seed", ["registry", "landscape", "--compare-seed"], 0,
     "seed"),
    ("msctrial registry report --out DIR [--as-of DATE] [--registry NAME…]",
     ["registry", "report", "--out", "{tmp}/report"], 0, ""),
    ("msctrial analysis survival --csv F --time COL --event COL --arm COL [--reference LEVEL] "
     "[--json]",
     ["analysis", "survival", "--csv", "{tmp}/trial.csv", "--time", "time", "--event", "event",
      "--arm", "arm", "--reference", "Placebo", "--json"], 0, '"logrank_chi2"'),
    ("msctrial analysis ancova --csv F --outcome COL --baseline COL --arm COL [--covariate COL…] "
     "[--reference LEVEL] [--json]",
     ["analysis", "ancova", "--csv", "{tmp}/trial.csv", "--outcome", "outcome", "--baseline",
      "baseline", "--arm", "arm", "--reference", "Placebo", "--json"], 0, '"difference"'),
    ("msctrial analysis binary --csv F --outcome COL --arm COL [--strata COL] "
     "[--reference LEVEL] [--json]",
     ["analysis", "binary", "--csv", "{tmp}/trial.csv", "--outcome", "improved", "--arm", "arm",
      "--reference", "Placebo", "--json"], 0, '"risk_difference"'),
    ("msctrial analysis ordinal --csv F --outcome COL --arm COL [--covariate COL…] "
     "[--levels L1,L2,…] [--reference LEVEL] [--json]",
     ["analysis", "ordinal", "--csv", "{tmp}/trial.csv", "--outcome", "who", "--arm", "arm",
      "--reference", "Placebo", "--json"], 0, '"odds_ratio"'),
    ("msctrial analysis repeated --csv F --outcome COL --arm COL --visit COL --subject COL "
     "[--covariate COL…] [--reference LEVEL] [--by-visit] [--covariance unstructured|ar1|ar1h|cs] "
     "[--compare-covariances] [--json]",
     ["analysis", "repeated", "--csv", "{tmp}/trial.csv", "--outcome", "outcome", "--arm", "arm",
      "--visit", "visit", "--subject", "subject", "--reference", "Placebo", "--json"], 0,
     '"n_subjects": 4'),
    ("msctrial analysis mmrm --csv F …",
     ["analysis", "mmrm", "--csv", "{tmp}/trial.csv", "--outcome", "outcome", "--arm", "arm",
      "--visit", "visit", "--subject", "subject", "--covariance", "compound-symmetry",
      "--json"], 0, 'compound symmetry covariance'),
    ("msctrial design power --endpoint proportions --p1 P --p2 P | --endpoint means --delta D "
     "--sd S | --endpoint survival --hazard-ratio H [--alpha 0.05] [--power 0.8] [--ratio 1] "
     "[--continuity] [--event-probability P] [--json]",
     ["design", "power", "--endpoint", "proportions", "--p1", "0.3", "--p2", "0.15", "--json"],
     0, '"n_per_arm": 118'),  # CLINICAL_FACTS §8.2: 30% vs 15% needs 118 per arm
    ("msctrial design boundaries --looks 0.5,1.0 [--alpha 0.025] "
     "[--spending obrien-fleming|pocock] [--classic] [--json]",
     ["design", "boundaries", "--looks", "0.5,1.0", "--json"], 0, '"z": 2.96'),
    ("msctrial analysis endpoints [--db PATH] [--user U [--password-stdin]] [--site S] "
     "[--out FILE]", ["analysis", "endpoints", "--out", "{tmp}/endpoints.csv"], 2,
     "no randomised subject to analyse yet"),
    ("msctrial monitor analyze --csv F --group COL --numerator COL --denominator COL --type "
     "rate|binary [--method normal|poisson|fisher|identity] [--thresholds T1,T2,…] "
     "[--flags F1,…] [--min-denominator N] [--json]",
     ["monitor", "analyze", "--csv", "{tmp}/sites.csv", "--group", "site", "--numerator", "n",
      "--denominator", "d", "--type", "binary", "--json"], 0,
     '"score": -0.254'),  # z = -√(2/31), worked in tests/monitoring
    ("msctrial monitor kri [--site S] [--by site|country] [--config FILE] [--json] [--db PATH]",
     ["monitor", "kri", "--site", "WUH", "--json"], 0, "[]"),
    ("msctrial monitor records --kri K [--site S] [--config FILE] [--json] [--db PATH]",
     ["monitor", "records", "--kri", "AE", "--site", "WUH"], 0, "Adverse event rate"),
    ("msctrial monitor qtl [--config FILE] [--json] [--db PATH]", ["monitor", "qtl", "--json"],
     0, '"QTL01"'),
    ("msctrial monitor snapshot [--config FILE] [--json] [--db PATH]",
     ["monitor", "snapshot", "--json"], 0, '"snapshot_date"'),
    ("msctrial monitor history [--kri K] [--site S] [--json] [--db PATH]",
     ["monitor", "history", "--kri", "AE", "--json"], 0, "[]"),
    ("msctrial monitor plan [--site S] [--config FILE] [--json] [--db PATH]",
     ["monitor", "plan", "--json"], 0, "[]"),
    ("msctrial monitor scorecard [--config FILE] [--json] [--db PATH]",
     ["monitor", "scorecard", "--json"], 0, '"part": "ethics_compliance"'),
    ("msctrial export odm --out F.xml [--metadata-only] [--user U]",
     ["export", "odm", "--out", "{tmp}/study.xml", "--metadata-only"], 0, "ODM 1.3.2: 0 subjects"),
    ("msctrial export sdtm --out DIR [--format xpt|csv] [--user U]",
     ["export", "sdtm", "--out", "{tmp}/sdtm", "--format", "csv"], 0, "SDTM: 0 subjects"),
    ("msctrial export fhir --out bundle.json [--user U]",
     ["export", "fhir", "--out", "{tmp}/bundle.json"], 0, "FHIR R4 Bundle: 0 subjects"),
    ("msctrial export values --format csv|parquet --layout long|wide --out F [--site S] [--user U]",
     ["export", "values", "--format", "parquet", "--layout", "wide", "--out", "{tmp}/v.parquet"],
     0, "values (wide parquet): 0 subjects"),
    ("msctrial export redcap --out DIR [--user U]",
     ["export", "redcap", "--out", "{tmp}/redcap"], 0, "REDCap: 0 subjects"),
    ("msctrial import redcap-dictionary F.csv [--out forms.yaml]",
     ["import", "redcap-dictionary", "{tmp}/redcap/data_dictionary.csv", "--out",
      "{tmp}/forms.yaml"], 0, "items to"),
    ("msctrial import odm F.xml [--out forms.yaml] [--json]",
     ["import", "odm", "{tmp}/study.xml", "--out", "{tmp}/odm_forms.yaml"], 0, "visits to"),
    ("msctrial audit verify [--json]", ["audit", "verify", "--json"], 0, '"ok": true'),
    ("msctrial audit verify --records", ["audit", "verify", "--records"], 0,
     "every audited record matches its trail"),
    ("msctrial audit checkpoint [--out F]", ["audit", "checkpoint", "--out", "{tmp}/head.json"], 0,
     "checkpoint of entry"),
    ("msctrial audit verify --checkpoint F", ["audit", "verify", "--checkpoint", "{tmp}/head.json"],
     0, "are unchanged"),
    ("msctrial db backup --out FILE", ["db", "backup", "--out", "{tmp}/tour.backup"], 0,
     "backed up"),
    ("msctrial db restore FILE",
     ["db", "restore", "{tmp}/tour.backup", "--db", "sqlite:///{tmp}/restored.db"], 0, "restored"),
    (None, ["audit", "verify", "--records", "--db", "sqlite:///{tmp}/restored.db"], 0,
     "every audited record matches its trail"),
]  # fmt: skip

# What README mentions but this tour does not run, and why.
NOT_RUN = {
    "msctrial demo": "serves until stopped; the demo build is tests/cli/test_demo_cli.py",
    "msctrial demo [--db PATH] [--subjects N] [--seed S] [--no-serve]": "as `msctrial demo`",
    "msctrial demo --subjects N --seed S": "as `msctrial demo`",
    "msctrial serve [--host H] [--port P] [--workers N] [--db URL]": "serves until stopped",
    "msctrial audit rotate-key": "adds a key to the operator's own keyring; "
        "tests/cli/test_audit_checkpoint_cli.py runs it on a keyring of its own",
    "msctrial registry fetch": "needs ClinicalTrials.gov; the client is tests/registry/test_client.py",
    "msctrial registry fetch --cond covid-19 --intr mesenchymal --out DIR": "as `registry fetch`",
    "msctrial registry load ../shared/registry/ictrp/COVID19-web_7Jul2020.xlsx":
        "the real export is read by tests/registry/test_ictrp_real.py where ../shared/ exists",
    "msctrial clinical simulate [--subjects N] [--seed S] [--effect E] [--db PATH]":
        "minutes of simulated patients; tests/clinical/test_simulator.py runs it",
    "msctrial clinical simulate --subjects 200 --effect 1": "as `clinical simulate`",
    "msctrial clinical simulate --sites 20 --subjects 600 --site-fault S07:ae-underreport "
    "--site-fault S12:late-entry --site-fault S03:ineligible":
        "many minutes through the services; tests/monitoring/test_site_faults.py finds the "
        "same faults in the same trial written in bulk, tests/simulation/test_faults.py plays "
        "them through the services",
    "msctrial analysis trial [--db PATH] [--user U [--password-stdin]] [--reference ARM] "
    "[--site S] [--json]": "needs simulated patients; tests/analysis/test_trial.py runs it",
    "msctrial report --out DIR [--db PATH] [--user U [--password-stdin]] [--unblinded] "
    "[--reference ARM] [--looks 0.5,1.0 [--planned-events N]] [--pdf]":
        "needs simulated patients; tests/analysis/test_report*.py run it",
    "msctrial design simulate-power --subjects N --effect E [--reps R] [--seed S] "
    "[--endpoint mortality28|improvement] [--alpha A] [--workers W] [--curve N1,N2,…] "
    "[--out FILE] [--json]": "hundreds of simulated trials; tests/cli/test_design_cli.py runs it",
}  # fmt: skip


def _trial_csv() -> str:
    """Forty subjects, two visits each: enough rows for every CSV analysis to fit."""
    rows = ["subject,arm,time,event,baseline,outcome,visit,who,improved"]
    for i in range(40):
        arm, base = ("MSC" if i % 2 else "Placebo"), 120 + (i * 37) % 90
        for visit in (7, 14):
            change = (i * 13 + visit * 7) % 50 + (10 if arm == "MSC" else 0)
            rows.append(
                f"S{i},{arm},{3 + (i * 11) % 26},{(i // 2) % 2},{base},{base + change},"
                f"{visit},{2 + (i * 5 + visit) % 5},{(i // 3) % 2}"
            )
    return "\n".join(rows) + "\n"


def readme_commands() -> list[str]:
    found = re.findall(r"`(msctrial [^`]+)`", README)
    return list(dict.fromkeys(found))


def test_every_readme_command_is_run_by_the_tour_or_says_why_not():
    covered = {text for text, *_ in TOUR if text} | set(NOT_RUN)
    assert readme_commands(), "README.md has no `msctrial …` examples"
    assert [c for c in readme_commands() if c not in covered] == []
    assert [c for c in covered if c not in README] == []  # README still says each


def test_the_readme_tour_runs_as_it_says(cli, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("MSCTRIAL_DATABASE_URL", f"sqlite:///{tmp_path / 'tour.db'}")
    monkeypatch.chdir(REPO)
    (tmp_path / "obs.json").write_text(json.dumps(SEVERE))
    (tmp_path / "vitals.json").write_text(json.dumps(VITALS))
    (tmp_path / "trial.csv").write_text(_trial_csv())
    (tmp_path / "sites.csv").write_text("site,n,d\nA,2,10\nB,5,10\nC,1,20\nD,12,40\n")
    (tmp_path / "records").mkdir()
    (tmp_path / "records" / "a.json").write_bytes(dumps(msc_placebo_trial("NCT04371601")))
    ran, wrong = [], []
    for text, args, code, fragment in TOUR:
        argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
        stdin = PASSWORD + "\n" if "--password-stdin" in argv else None
        result = cli(*argv, stdin=stdin)
        said = result.out + result.err
        if result.code != code or fragment not in said or "Traceback" in said:
            wrong.append((text or argv, result.code, said[-300:]))
        ran.append(argv[:2])
    assert len(ran) == len(TOUR)
    assert wrong == [], "\n".join(map(repr, wrong))


@pytest.mark.parametrize("text", [t for t, *_ in TOUR if t])
def test_each_tour_step_follows_the_readme_command(text):
    """The arguments run are the README command's words with placeholders filled."""
    args = next(a for t, a, *_ in TOUR if t == text)
    words = [w for w in re.sub(r"\[[^\]]*\]", " ", text).split()[1:] if not w.isupper()]
    command_words = [w for w in words if not w.startswith("-") and "/" not in w][:2]
    assert args[: len(command_words)] == command_words
