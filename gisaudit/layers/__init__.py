"""Reading, validating and normalising the layers of a data package (one module per theme)."""
