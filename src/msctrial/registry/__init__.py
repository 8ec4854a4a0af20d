"""The ClinicalTrials.gov survey: read registry records, extract each MSC trial's design into a
protocol, judge it by the expert guidance, and map the landscape."""

from msctrial.registry.service import get_trial, landscape, list_trials, load_records

__all__ = ["get_trial", "landscape", "list_trials", "load_records"]
