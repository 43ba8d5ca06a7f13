"""The indicator system: indicator values, scores, vetoes and grades (YAML-driven)."""
