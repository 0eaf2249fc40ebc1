"""The person's flow: start a diagnosis, answer, go back, start over.

* :mod:`~diagnostics.flow.errors`: what can go wrong with a post, and what the
  person is told;
* :mod:`~diagnostics.flow.ownership`: which diagnosis belongs to this browser
  (its session, or an embed's token) and the tickets that keep a double
  Start to one diagnosis;
* :mod:`~diagnostics.flow.commands`: every change to a diagnosis, as
  keyword-only functions guarded by compare-and-swap;
* :mod:`~diagnostics.flow.views`, :mod:`~diagnostics.flow.forms` and
  :mod:`~diagnostics.flow.urls`: the web pages, thin.
"""
