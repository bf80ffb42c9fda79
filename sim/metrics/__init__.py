"""What a run measured: KPIs, time series, per-case records, grid star ratings."""
