"""What the app tells the operator, recorded for a test to read."""

from __future__ import annotations


def record_notifications(app) -> list[str]:
    """Collect the app's toasts from now on, as "title: message" text (the toast still shows)."""
    seen: list[str] = []
    original = app.notify

    def notify(message, *args, **kwargs):
        seen.append(f"{kwargs.get('title', '')}: {message}")
        return original(message, *args, **kwargs)

    app.notify = notify
    return seen
