"""Figures and reports drawn from a run: training curves, grid figures, forecasts."""
