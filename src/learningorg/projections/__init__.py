"""The projections layer: folds of the ordered history into capacity, knowledge flow, compliance."""
