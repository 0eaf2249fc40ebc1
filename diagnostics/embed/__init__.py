"""The flow inside another site's iframe, where third-party cookies are blocked.

A cross-site iframe usually gets no cookies at all, so neither the session nor
Django's CSRF cookie can work there. Embedded pages therefore carry the
diagnosis in a signed token (``?d=...`` on pages, a hidden ``d`` field in
forms) instead of the session:

* :func:`~diagnostics.embed.views.embedded` wraps each view for ``/embed/``
  and swaps ``request.session`` for a
  :class:`~diagnostics.embed.tokens.TokenSession` built from that token, so
  the views and commands run unchanged;
* the token is a signed, unguessable capability for one diagnosis, which is
  what CSRF protection would otherwise provide, so embedded views are
  CSRF-exempt; without a valid token a post can only start a diagnosis (a
  Start posted twice joins the untouched one it opened, see
  :func:`diagnostics.flow.ownership.start_ticket`);
* since no CSRF token stands in the way, every post must say it came from the
  embed's own page (``Sec-Fetch-Site`` or ``Origin``, see
  :mod:`~diagnostics.embed.origin`); a post from another site gets a 403 in
  the frame and changes nothing;
* every response under ``/embed/`` may be framed only by the allowed origins,
  ``HELPDESK_EMBED_ORIGINS`` merged with the active embedding sites of the
  admin (:mod:`~diagnostics.embed.sites`), and only by the one named when the
  snippet names its site (``Content-Security-Policy: frame-ancestors``),
  error pages made outside the views (404, 429, 503) included, and its links
  stay under ``/embed/``
  (:class:`~diagnostics.embed.framing.EmbedFramingMiddleware`); with no
  origins configured, embedding is switched off and ``/embed/`` answers 404.

``/embed/`` is a second instance of the ``diagnostics`` app namespace
(``diagnostics/embed/urls.py``), so ``{% url 'diagnostics:...' %}`` in templates
points at the embedded URLs automatically.

Modules: ``tokens`` (the token and the stand-in session), ``sites`` (the
allowed list and the site a request names), ``framing`` (the middleware and its
``frame-ancestors``), ``origin`` (who may post), ``theme`` (accent contrast and
the site's stylesheet), ``views`` (the wrapper and the stylesheet's view),
``links`` (where error pages lead under ``/embed/``), ``admin`` (embedding
sites for staff) and ``urls``.
The page side is ``static/helpdesk/embed.js`` (on the embedding page) and the
end of ``static/diagnostics/app.js`` (in the frame); see docs/embedding.md.
"""
