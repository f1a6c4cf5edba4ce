"""Public home of the xAPI Statement validator (see ``learningorg.interop.xapi``)."""

from learningorg.interop.xapi import SUPPORTED_VERSIONS, Problem, validate

__all__ = ["SUPPORTED_VERSIONS", "Problem", "validate"]
