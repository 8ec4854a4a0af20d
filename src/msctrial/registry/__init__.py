"""The ClinicalTrials.gov survey: read registry records, extract each MSC trial's design into a
protocol, judge it by the expert guidance, and map the landscape."""
