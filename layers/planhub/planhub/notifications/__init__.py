"""Notifications: the emails planhub sends, keyed by the domain event that causes them.

`templates.TEMPLATES` maps an event type to its email; `rendering` fills it from the
event's data; `service.Notifications` sends it through SES, once per event. Adding an
email for another event is one entry in `TEMPLATES` and the event type in the email
function's rule in template.yaml.
"""
