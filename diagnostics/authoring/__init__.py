"""Guide authoring: drafts in the admin, validation, preview, publishing, roll back.

Staff write a guide, or a new version of one, as a draft (:class:`GuideDraft`):
plain data in the guide-file shape, edited a step at a time (``admin``,
``forms``, ``edits``) or as a whole file (``guide_file``), checked by the one
validator with each problem placed beside its step (``problems``), walked in
the real flow (``preview``), compared with the current version (``diff``) and
published through the catalog (``services``). This room sits above
``catalog``, ``flow`` and ``learning``, next to ``embed`` and ``insight``.
"""
