"""Subject access and portability exports (DSR-2, DSR-9).

- `collect`: everything held about one person, walked from the data inventory;
- `archive`: the deterministic zip (JSON and CSV per model, manifest, summary page);
- `services`: the stored, resumable export with its download window.
"""
