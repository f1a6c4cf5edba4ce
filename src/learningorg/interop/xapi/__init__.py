"""xAPI Statement validation (versions 1.0.3 and 2.0), part of the interop layer.

``validate(statement, version=None)`` returns the list of :class:`Problem` s a Statement has;
an empty list means it conforms. See :mod:`learningorg.interop.xapi.validator`.
"""

from learningorg.interop.xapi.validator import SUPPORTED_VERSIONS, Problem, validate

__all__ = ["SUPPORTED_VERSIONS", "Problem", "validate"]
