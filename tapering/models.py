"""Taper plans, versions, signatures and dose administration."""
