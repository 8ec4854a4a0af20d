"""The landscape at a date as readable text, for ``msctrial registry landscape``."""

from __future__ import annotations

from msctrial.registry.census import Census, status_word


def _line(title: str, counts: dict[str, int]) -> str:
    return f"{title}: " + (", ".join(f"{k} {v}" for k, v in counts.items()) or "none")


def landscape_text(c: Census) -> str:
    n = c.counts()
    when = f"registered by {c.as_of}" if c.as_of else "registered (any date)"
    where = f" on {', '.join(c.registries)}" if c.registries else ""
    lead = n["lead_site"]
    out = [
        f"{n['trials']} MSC trials {when}{where}; {n['cancelled']} cancelled by the investigator "
        f"(listed, not counted); {n['duplicates_merged']} records of the same trial on another "
        "registry merged",
        f"lead site: China {lead['china']}, elsewhere {lead['elsewhere']}, "
        f"not stated {lead['not stated']}",
        _line("by registry", n["by_registry"]),
        _line("by country", n["by_country"]),
        _line("by status", n["by_status"]),
        _line("by phase", n["by_phase"]),
        _line("by product", n["by_product"]),
        _line("by source", n["by_source"]),
        _line("by route", n["by_route"]),
        f"combination therapy: {n['combination_therapy']}",
    ]
    if c.undated:
        out.append(f"no registration date, left out: {', '.join(c.undated)}")
    out.append("")
    for t in c.trials:
        d = t.design
        flags = " [cancelled]" if t.study.cancelled else ""
        also = t.evidence.get("same_trial_as")
        out.append(
            f"{t.study.trial_id}  {t.study.registry}  {t.study.registered_on or '—'}  "
            f"{t.lead_country}  {status_word(t.study)}{flags}  {d.product_type} "
            f"{d.cell_source} {d.route or 'route not stated'}"
            + (f"  with {', '.join(d.combined_with)}" if d.combined_with else "")
            + (f"  (also {also.text})" if also else "")
        )
    return "\n".join(out) + "\n"
