"""Markbook's retention engine (RET-1 to RET-4).

- `rules`: the rules of RET-1 as data, read by the data inventory, the privacy notice,
  the record of processing and the engine alike (no Django models: every app's
  inventory imports it).
- `engine`: what is due at a school (the dry run) and the run that deletes it, through
  the erasure engine, honouring legal holds, with progress and counts recorded.
- `services`, `selectors`: a school's shorter periods (RET-2), the runs.
- `logs`: the log rule's one call into the access log; `lifecycle`: when a school's
  subscription ended.
- `views`, `api`: the school's retention page and its API twin.
"""
