"""Data loaders. Each returns a `rnnjax.data.splits.DataSpec` of numpy splits."""
