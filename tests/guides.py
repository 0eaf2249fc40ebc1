"""A small guide for tests, as guide-file text (``{slug}`` left to fill in).

Plain text, no Django: the engine tests use it as well as the loader's.
"""

from __future__ import annotations

SMALL_GUIDE = """
[guide]
slug = "{slug}"
title = "Printer offline"
summary = "A small guide used by the tests."
resolved = "fixed"
exhausted = "escalate"
support_minutes = 30

[[question]]
id = "power"
prompt = "Is the printer switched on?"
minutes = 1
[[question.choice]]
id = "yes"
label = "Yes"
[[question.choice]]
id = "no"
label = "No"
next = "switch_on"

[[question]]
id = "cable"
prompt = "Is it connected with a cable?"
minutes = 1
[[question.choice]]
id = "usb"
label = "USB"
[[question.choice]]
id = "wifi"
label = "Wi-Fi"

[[fix]]
id = "replug"
title = "Plug the cable back in"
why = "Loose cables are common."
steps = ["Unplug the cable.", "Plug it back in."]
minutes = 2
chance = 0.4
when = {{ cable = ["usb"] }}

[[fix]]
id = "router"
title = "Restart the router"
why = "Wi-Fi printers lose their connection."
steps = ["Turn the router off and on."]
minutes = 4
chance = 0.3

[[outcome]]
id = "fixed"
kind = "resolved"
title = "Printing again"
body = "Glad that worked."

[[outcome]]
id = "switch_on"
kind = "not_applicable"
title = "Switch it on"
body = "A printer that is off cannot print."

[[outcome]]
id = "escalate"
kind = "escalate"
title = "Let's get you some help"
body = "Support will take it from here."
"""
