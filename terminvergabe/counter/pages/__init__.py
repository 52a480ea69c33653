"""The staff screens and the public screens of the queue, on one blueprint, "counter":
desk.py (front desk), counter_screen.py (a counter's clerk), devices.py (displays and kiosks of
an office), screens.py (waiting-room display, kiosk, the citizen's phone status).

Views parse, call one operation, commit once and redirect (POST) or render (GET). Live updates
come from live.py (SSE); every page works without JavaScript through plain forms.
"""

from terminvergabe.counter.pages import counter_screen, desk, devices, screens
from terminvergabe.counter.pages.blueprint import bp

__all__ = ["bp", "counter_screen", "desk", "devices", "screens"]
