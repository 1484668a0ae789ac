"""Generic test cases: a model's tests are mostly data (pages, grids, workflows, imports)."""
