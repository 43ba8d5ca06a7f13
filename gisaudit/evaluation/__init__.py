"""Evaluating tenures: from a loaded package to scorecards, transition matrices and outputs."""
