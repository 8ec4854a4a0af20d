"""Write a synthetic ClinicalTrials.gov bulk download: one API v2 JSON study per ZIP member.

    python bench/registry_corpus.py --studies 500000 --out bench/corpus/ctg-studies-500000.zip

The studies are the size of real ones (5-40 KB, a few up to ~150 KB as if results were posted),
in the API v2 shape, with varied conditions, interventions and prose. About 0.05% are MSC trials
with their doses written the messy ways registries write them; about 1% mention stromal cells,
exosomes or vesicles without being MSC trials (gastrointestinal stromal tumours, platelet
vesicles, ...) so the bulk scan's shortcut is tested on near misses too. Fixed seed: the same
corpus every time.
"""

from __future__ import annotations

import argparse
import random
import time
import zipfile
from pathlib import Path

import orjson

WORDS = (  # noqa: SIM905  (a word list reads better as prose)
    "patients randomised treatment efficacy safety outcome primary secondary baseline week month "
    "dose placebo control arm cohort assessed measured score change visit hospital clinic blood "
    "serum plasma level response adverse event serious quality life survival progression disease "
    "infection pneumonia respiratory cardiac renal hepatic tumour cancer diabetes hypertension "
    "stroke pain depression anxiety vaccine antibody trial study participants enrolled criteria "
    "inclusion exclusion age years informed consent investigator site protocol follow-up analysis"
).split()
CONDITIONS = [
    "Breast Cancer", "Type 2 Diabetes", "Hypertension", "COVID-19", "Asthma", "Depression",
    "Heart Failure", "Stroke", "Rheumatoid Arthritis", "HIV", "Malaria", "Obesity", "Psoriasis",
    "Chronic Kidney Disease", "Osteoarthritis", "Influenza", "Sepsis", "ARDS", "Alzheimer Disease",
]  # fmt: skip
DRUGS = ["Metformin", "Atorvastatin", "Tocilizumab", "Remdesivir", "Pembrolizumab", "Placebo",
         "Aspirin", "Insulin glargine", "Dexamethasone", "Ivermectin", "Vitamin D", "Saline"]  # fmt: skip
NEAR_MISSES = [
    "Imatinib in gastrointestinal stromal tumour (GIST) after resection",
    "Platelet-derived extracellular vesicles as a biomarker of thrombosis",
    "Urinary exosome proteomics in diabetic kidney disease",
    "Stromal vascular fraction injection for knee osteoarthritis",
]
MSC_DOSES = [
    "3 does of UC-MSCs(4.0*10E7 cells per time) intravenously at Day 0, Day 3, Day 6.",
    "Intravenous injection of 3.0x10e7 human dental pulp stem cells on day 1, day 4 and day 7.",
    "UC-MSCs 3.3 * 107 cell number / 50ml / bag, 3 bags each time, on the 1st, 3rd, 5th, and 7th days.",
    "umbilical cord mesenchymal stem cells were given at 106/Kg body weight / time, once every 4 days for a total of 4 times.",
    "Intravenous infusion of 2x10^6 MSC/kg of body weight, twice, the second infusion at 4 days following the first.",
    "5 intravenous infusions of adipose MSCs at 100 million cells/dose at weeks 0, 2, 6, 10 and 14.",
    "5 times aerosol inhalation of MSCs-derived exosomes (2.0*10E8 nano vesicles/3 ml at Day 1, Day 2, Day 3, Day 4, Day 5).",
    "Wharton's jelly MSCs 1X10e6/kg IV on D1 and D3.",
    "UC-MSCs（0.5*10E6 UC-MSCs/kg body weight）intravenously at Day 1，Day 3，Day 5，Day 7.",
]


def _sentence(rng: random.Random) -> str:
    return " ".join(rng.choices(WORDS, k=rng.randint(8, 24))).capitalize() + "."


def _paragraphs(rng: random.Random, n: int) -> list[str]:
    return [" ".join(_sentence(rng) for _ in range(rng.randint(3, 9))) for _ in range(n)]


def _study(rng: random.Random, k: int, prose: list[str], kind: str) -> dict:
    nct = f"NCT{k:08d}"
    target = int(rng.triangular(5_000, 40_000, 12_000))
    if rng.random() < 0.01:
        target = rng.randint(60_000, 150_000)  # a results-posted record
    condition = "COVID-19" if kind == "msc" else rng.choice(CONDITIONS)
    if kind == "msc":
        title = "Mesenchymal stem cells for severe COVID-19"
        interventions = [
            {"type": "BIOLOGICAL", "name": "UC-MSCs", "description": rng.choice(MSC_DOSES), "armGroupLabels": ["MSC"]},
            {"type": "OTHER", "name": "Placebo", "description": "Saline with 1% albumin", "armGroupLabels": ["Placebo"]},
        ]  # fmt: skip
        arms = [
            {"label": "MSC", "type": "EXPERIMENTAL", "interventionNames": ["Biological: UC-MSCs"]},
            {
                "label": "Placebo",
                "type": "PLACEBO_COMPARATOR",
                "interventionNames": ["Other: Placebo"],
            },
        ]
    else:
        title = rng.choice(NEAR_MISSES) if kind == "near" else f"{rng.choice(DRUGS)} in {condition}"
        drug = rng.choice(DRUGS)
        interventions = [
            {"type": "DRUG", "name": drug, "description": _sentence(rng), "armGroupLabels": ["A"]}
        ]
        arms = [
            {
                "label": "A",
                "type": "EXPERIMENTAL",
                "description": _sentence(rng),
                "interventionNames": [f"Drug: {drug}"],
            }
        ]
    study = {
        "protocolSection": {
            "identificationModule": {"nctId": nct, "briefTitle": title, "organization": {"fullName": f"Sponsor {k % 997}", "class": "OTHER"}},
            "statusModule": {"overallStatus": rng.choice(["RECRUITING", "COMPLETED", "TERMINATED", "UNKNOWN"]),
                             "startDateStruct": {"date": f"{rng.randint(2000, 2025)}-{rng.randint(1, 12):02d}"}},
            "sponsorCollaboratorsModule": {"leadSponsor": {"name": f"Sponsor {k % 997}", "class": "OTHER"}},
            "descriptionModule": {"briefSummary": rng.choice(prose)[:600], "detailedDescription": ""},
            "conditionsModule": {"conditions": [condition], "keywords": rng.choices(WORDS, k=4)},
            "designModule": {"studyType": "INTERVENTIONAL", "phases": [rng.choice(["PHASE1", "PHASE2", "PHASE3", "NA"])],
                             "designInfo": {"allocation": "RANDOMIZED", "interventionModel": "PARALLEL",
                                            "maskingInfo": {"masking": rng.choice(["NONE", "DOUBLE", "QUADRUPLE"])}},
                             "enrollmentInfo": {"count": rng.randint(10, 5000), "type": "ESTIMATED"}},
            "armsInterventionsModule": {"armGroups": arms, "interventions": interventions},
            "outcomesModule": {"primaryOutcomes": [{"measure": _sentence(rng), "timeFrame": f"Day {rng.randint(7, 365)}"}]},
            "eligibilityModule": {"eligibilityCriteria": "Inclusion Criteria:\n\n* " + "\n* ".join(_sentence(rng) for _ in range(6)),
                                  "sex": "ALL", "minimumAge": "18 Years"},
            "contactsLocationsModule": {"locations": [{"facility": f"Hospital {j}", "city": "City", "country": rng.choice(["United States", "China", "France", "Brazil", "India"])} for j in range(rng.randint(1, 6))]},
        },
        "derivedSection": {"miscInfoModule": {"versionHolder": "2025-11-20"}},
        "hasResults": target > 60_000,
    }  # fmt: skip
    # Fill the record to its target size the way real records are made up (shares measured
    # on the 109 legacy records in ../shared/registry/ctgov/): descriptions 11%, outcomes 15%,
    # eligibility 12%, locations 6%, references 5%, the derived MeSH section 28%.
    p = study["protocolSection"]
    p["descriptionModule"]["detailedDescription"] = _fill(rng, prose, 0.11 * target)
    p["outcomesModule"]["secondaryOutcomes"] = [
        {"measure": _sentence(rng), "description": x, "timeFrame": f"Week {rng.randint(1, 52)}"}
        for x in _chunks(rng, prose, 0.15 * target)
    ]
    p["eligibilityModule"]["eligibilityCriteria"] += "\n\nExclusion Criteria:\n\n" + _fill(
        rng, prose, 0.12 * target
    )
    while len(orjson.dumps(p["contactsLocationsModule"])) < 0.06 * target:
        p["contactsLocationsModule"]["locations"].append(
            {
                "facility": " ".join(rng.choices(WORDS, k=4)).title(),
                "city": "City",
                "zip": "10000",
                "country": "United States",
            }
        )
    p["referencesModule"] = {
        "references": [
            {"type": "BACKGROUND", "citation": x} for x in _chunks(rng, prose, 0.05 * target)
        ]
    }
    terms = [
        {"id": f"D{rng.randint(1, 99999):06d}", "term": " ".join(rng.choices(WORDS, k=2)).title()}
        for _ in range(12)
    ]
    leaves = [
        {
            "id": f"M{rng.randint(1, 99999)}",
            "name": " ".join(rng.choices(WORDS, k=3)),
            "relevance": "LOW",
        }
        for _ in range(int(0.28 * target / 60))
    ]
    study["derivedSection"]["conditionBrowseModule"] = {
        "meshes": terms,
        "ancestors": terms,
        "browseLeaves": leaves,
    }
    return study


def _fill(rng: random.Random, prose: list[str], size: float) -> str:
    return "\n\n".join(_chunks(rng, prose, size))


def _chunks(rng: random.Random, prose: list[str], size: float) -> list[str]:
    out: list[str] = []
    total = 0
    while total < size:
        out.append(rng.choice(prose))
        total += len(out[-1]) + 2
    return out


def generate(
    out: Path, studies: int, seed: int = 2020, compression: int = zipfile.ZIP_DEFLATED
) -> tuple[int, int]:
    """Write the corpus; return (MSC trials, uncompressed bytes)."""
    rng = random.Random(seed)
    prose = _paragraphs(rng, 3000)
    out.parent.mkdir(parents=True, exist_ok=True)
    msc = total = 0
    tmp = out.with_suffix(".part")
    with zipfile.ZipFile(tmp, "w", compression, compresslevel=1) as z:
        for k in range(1, studies + 1):
            r = rng.random()
            kind = "msc" if r < 0.0005 else "near" if r < 0.0105 else "other"
            msc += kind == "msc"
            raw = orjson.dumps(_study(rng, k, prose, kind))
            total += len(raw)
            z.writestr(f"NCT{k:08d}.json", raw)
    tmp.replace(out)
    return msc, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--studies", type=int, default=20_000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--stored", action="store_true", help="no compression")
    args = parser.parse_args()
    t = time.perf_counter()
    msc, size = generate(
        args.out,
        args.studies,
        args.seed,
        zipfile.ZIP_STORED if args.stored else zipfile.ZIP_DEFLATED,
    )
    print(f"{args.out}: {args.studies} studies ({msc} MSC trials), {size / 1e9:.2f} GB uncompressed, "
          f"{args.out.stat().st_size / 1e9:.2f} GB on disk, {time.perf_counter() - t:.0f} s")  # fmt: skip


if __name__ == "__main__":
    main()
