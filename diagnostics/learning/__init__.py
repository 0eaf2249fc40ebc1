"""The learned ranking's store: evidence from ended diagnoses, and what the ranking knows.

Between the flow and the rows: :mod:`~diagnostics.learning.evidence` records
what each ended diagnosis teaches (once, in the transaction that ends it,
within a daily quota per client network) and serves each guide's evidence from
a per-process cache to the planner (``engine.decide``). The maths itself is the
engine's; this room only stores and counts.
"""
