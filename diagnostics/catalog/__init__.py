"""The catalog of guides: reading guide files, and publishing them as versions.

* :mod:`~diagnostics.catalog.files`: guide files (TOML) on disk, read and
  checked by the engine's one validator;
* :mod:`~diagnostics.catalog.publishing`: storing a checked guide as its
  guide's new, immutable current version;
* :mod:`~diagnostics.catalog.admin`: the guides in the admin.
"""
