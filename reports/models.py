"""Targets and the record of monthly report mailings. Figures themselves are computed, never stored."""
