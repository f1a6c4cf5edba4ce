"""Interoperability layer: exchange with other learning systems (xAPI)."""
