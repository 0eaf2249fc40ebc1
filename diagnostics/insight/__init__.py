"""Staff insight: what works, where people give up, and each diagnosis's story.

* :mod:`~diagnostics.insight.reports`: figures per guide;
* :mod:`~diagnostics.insight.transcript`: a diagnosis, step by step;
* :mod:`~diagnostics.insight.admin`: the admin screens that show them.
"""
