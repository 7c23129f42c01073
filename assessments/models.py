"""CIWA-B assessments, risk flags and the reassessment schedule."""
