"""Support: what a person hands to humans, and what they tell us back.

* :mod:`~diagnostics.support.tickets`: the escalation form's ticket (contact
  details, a message), with its abuse limits and the optional email to
  ``HELPDESK_SUPPORT_EMAIL``;
* :mod:`~diagnostics.support.feedback`: "Was this helpful?" on every end
  screen, one answer per diagnosis;
* :mod:`~diagnostics.support.permissions`: the "Support staff" group.

The flow's views parse the forms and call these services; the admin
(:mod:`diagnostics.insight`) shows tickets and feedback to staff.
"""
