"""Unit board, census and period reports."""
