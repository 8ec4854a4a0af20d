"""Protocols and the expert guidance: read, check, version and store a trial's protocol."""

from msctrial.protocol.guidance import Finding, check_guidance, has_deviation
from msctrial.protocol.loader import dump_protocol, load_protocol, load_protocol_text
from msctrial.protocol.model import Protocol
from msctrial.protocol.service import get_protocol, list_trials, only_trial, save_protocol

__all__ = [
    "Finding",
    "Protocol",
    "check_guidance",
    "dump_protocol",
    "get_protocol",
    "has_deviation",
    "list_trials",
    "load_protocol",
    "load_protocol_text",
    "only_trial",
    "save_protocol",
]
