"""The MMRM at a trial's size: our GLS/REML fit against statsmodels' MixedLM in the same run.

    python bench/mmrm.py                  # 600 subjects × 6 visits
    python bench/mmrm.py --subjects 2000

The data: two arms 1:1, a baseline covariate, six visits whose true covariance is
unstructured-like (an AR(1) correlation 0.6 with variances rising over visits), one subject
in ten dropping out after a random visit. Timed: ``repeated_measures`` with ``--by-visit``
(the arm × visit model, unstructured covariance: 21 covariance parameters, then Satterthwaite
df for every coefficient, LS mean and difference) and, for scale, statsmodels' random-intercept
``MixedLM`` on the same fixed effects (REML), the model this package used before; it estimates
2 covariance parameters and gives no small-sample df, so the ratio is what the unstructured
covariance and the df cost, not a race between equals. Prints both times, the ratio and the
peak RSS.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

VISITS = (3, 6, 10, 14, 21, 28)


def trial(subjects: int, seed: int = 11):  # noqa: ANN201
    """A long data set as a statistician's CSV gives it (text cells, rows from 1)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    t = len(VISITS)
    sd = np.linspace(20, 45, t)
    corr = 0.6 ** np.abs(np.subtract.outer(np.arange(t), np.arange(t)))
    chol = np.linalg.cholesky(np.outer(sd, sd) * corr)
    rows = []
    for number in range(subjects):
        msc = number % 2 == 1
        baseline = rng.uniform(100, 300)
        errors = chol @ rng.normal(size=t)
        last = int(rng.integers(1, t)) if rng.random() < 0.1 else t
        for position, day in enumerate(VISITS):
            value = 0.2 * (baseline - 200) + 4 * day + (25 if msc else 0) + errors[position]
            rows.append({"subject": f"S{number}", "arm": "UC-MSC" if msc else "Placebo",
                         "day": str(day), "pf0": f"{baseline:.1f}",
                         "pf": f"{value:.2f}" if position < last else ""})  # fmt: skip
    frame = pd.DataFrame(rows)
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    return frame


def mixedlm_seconds(frame) -> float:  # noqa: ANN001
    import pandas as pd
    import statsmodels.formula.api as smf

    data = frame[frame["pf"] != ""].copy()
    data["pf"] = data["pf"].astype(float)
    data["pf0"] = data["pf0"].astype(float)
    data["day"] = pd.Categorical(data["day"], categories=[str(v) for v in VISITS])
    start = time.perf_counter()
    smf.mixedlm("pf ~ arm * day + pf0", data, groups=data["subject"]).fit(reml=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=600)
    args = parser.parse_args()

    from msctrial.analysis.repeated import repeated_measures

    frame = trial(args.subjects)
    start = time.perf_counter()
    result = repeated_measures(frame, outcome="pf", arm="arm", visit="day", subject="subject",
                               covariates=["pf0"], reference="Placebo", by_visit=True)  # fmt: skip
    ours = time.perf_counter() - start
    theirs = mixedlm_seconds(frame)
    last = result.last_visit or {}
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"data: {args.subjects} subjects x {len(VISITS)} visits, "
          f"{result.n_observations} values")  # fmt: skip
    print(f"MMRM (unstructured, REML, Satterthwaite; ours): {ours:.2f} s, "
          f"converged {result.converged}, day {last.get('visit')} difference "
          f"{last.get('difference', float('nan')):.2f} (true 25)")  # fmt: skip
    print(f"random-intercept MixedLM (statsmodels, REML):   {theirs:.2f} s")
    print(f"ratio: {ours / theirs:.2f}x; peak RSS {rss:.0f} MB")


if __name__ == "__main__":
    main()
