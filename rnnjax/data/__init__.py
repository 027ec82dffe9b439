"""Data loaders. Each returns a `rnnjax.data.common.DataSpec` of numpy splits."""
