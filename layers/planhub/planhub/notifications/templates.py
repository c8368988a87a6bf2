"""Every email planhub sends, keyed by the event type that sends it. Edit the wording here.

Each event's `data` is the template's vocabulary. The plan events carry:
`recipient` {user_id, email, name}, `learning_object` {id, title, type},
`portal` {id, name, title}, `plan` {id, due_date, note, ...}, and `notify`; a
re-assignment adds `archived_plan_id` and `archived_enrolment_id`.
See `rendering` for the `{{ ... }}` forms.
"""

from __future__ import annotations

from planhub.events import EventType
from planhub.notifications.rendering import EmailTemplate


def _page(body: str) -> str:
    return (
        '<!DOCTYPE html><html><body style="font-family: sans-serif; line-height: 1.5">'
        f"{body}"
        '<p style="color: #666; font-size: 0.9em">Sent by {{ portal.title }} through planhub.</p>'
        "</body></html>"
    )


def _billing_page(body: str) -> str:
    return (
        '<!DOCTYPE html><html><body style="font-family: sans-serif; line-height: 1.5">'
        f"{body}"
        '<p style="color: #666; font-size: 0.9em">Sent through planhub.</p>'
        "</body></html>"
    )


_DUE_TEXT = "{{# plan.due_date }}Due: {{ plan.due_date | date }}\n{{/ plan.due_date }}"
_NOTE_TEXT = "{{# plan.note }}Note from your assigner: {{ plan.note }}\n{{/ plan.note }}"
_DUE_HTML = "{{# plan.due_date }}<p>Due: <strong>{{ plan.due_date | date }}</strong></p>{{/ plan.due_date }}"
_NOTE_HTML = "{{# plan.note }}<p>Note from your assigner: <em>{{ plan.note }}</em></p>{{/ plan.note }}"

TEMPLATES: dict[str, EmailTemplate] = {
    EventType.PLAN_ASSIGNED: EmailTemplate(
        subject="New assignment: {{ learning_object.title }}",
        text=(
            "Hello {{ recipient.name }},\n\n"
            'You have been assigned "{{ learning_object.title }}" in {{ portal.title }}.\n'
            f"{_DUE_TEXT}{_NOTE_TEXT}"
        ),
        html=_page(
            "<p>Hello {{ recipient.name }},</p>"
            "<p>You have been assigned <strong>{{ learning_object.title }}</strong> in {{ portal.title }}.</p>"
            f"{_DUE_HTML}{_NOTE_HTML}"
        ),
    ),
    EventType.PLAN_REASSIGNED: EmailTemplate(
        subject="Re-assignment: {{ learning_object.title }}",
        text=(
            "Hello {{ recipient.name }},\n\n"
            'You have been assigned "{{ learning_object.title }}" in {{ portal.title }} again.\n'
            "{{# archived_enrolment_id }}Your earlier progress is archived: please start it afresh.\n"
            "{{/ archived_enrolment_id }}"
            f"{_DUE_TEXT}{_NOTE_TEXT}"
        ),
        html=_page(
            "<p>Hello {{ recipient.name }},</p>"
            "<p>You have been assigned <strong>{{ learning_object.title }}</strong> in {{ portal.title }} again.</p>"
            "{{# archived_enrolment_id }}<p>Your earlier progress is archived: please start it afresh.</p>"
            "{{/ archived_enrolment_id }}"
            f"{_DUE_HTML}{_NOTE_HTML}"
        ),
    ),
    EventType.PLAN_DUE_SOON: EmailTemplate(
        subject="Reminder: {{ learning_object.title }} is due soon",
        text=(
            "Hello {{ recipient.name }},\n\n"
            'A reminder that "{{ learning_object.title }}" in {{ portal.title }} is due within a day.\n'
            f"{_DUE_TEXT}{_NOTE_TEXT}"
        ),
        html=_page(
            "<p>Hello {{ recipient.name }},</p>"
            "<p>A reminder that <strong>{{ learning_object.title }}</strong> in {{ portal.title }}"
            " is due within a day.</p>"
            f"{_DUE_HTML}{_NOTE_HTML}"
        ),
    ),
    EventType.PLAN_OVERDUE: EmailTemplate(
        subject="Overdue: {{ learning_object.title }}",
        text=(
            "Hello {{ recipient.name }},\n\n"
            '"{{ learning_object.title }}" in {{ portal.title }} is past its due date.\n'
            f"{_DUE_TEXT}{_NOTE_TEXT}"
        ),
        html=_page(
            "<p>Hello {{ recipient.name }},</p>"
            "<p><strong>{{ learning_object.title }}</strong> in {{ portal.title }} is past its due date.</p>"
            f"{_DUE_HTML}{_NOTE_HTML}"
        ),
    ),
    # A due date changed with PATCH /enrolment/plan/{planId}: `previous_due_date` besides the plan's.
    EventType.PLAN_DUE_DATE_CHANGED: EmailTemplate(
        subject="New due date: {{ learning_object.title }}",
        text=(
            "Hello {{ recipient.name }},\n\n"
            'The due date of "{{ learning_object.title }}" in {{ portal.title }} has changed.\n'
            "{{# plan.due_date }}It is now due: {{ plan.due_date | date }}\n{{/ plan.due_date }}"
            "{{# due_date_cleared }}It has no due date any more.\n{{/ due_date_cleared }}"
        ),
        html=_page(
            "<p>Hello {{ recipient.name }},</p>"
            "<p>The due date of <strong>{{ learning_object.title }}</strong> in {{ portal.title }} has changed.</p>"
            "{{# plan.due_date }}<p>It is now due: <strong>{{ plan.due_date | date }}</strong></p>{{/ plan.due_date }}"
            "{{# due_date_cleared }}<p>It has no due date any more.</p>{{/ due_date_cleared }}"
        ),
    ),
    # --- enrolments (docs/product.md "Enrolments"): `enrolment` {id, status, due_date, start_date} besides
    # `recipient`, `learning_object`, `portal` and `notify` ---
    EventType.ENROLMENT_CREATED: EmailTemplate(
        subject="You are enrolled: {{ learning_object.title }}",
        text=(
            "Hello {{ recipient.name }},\n\n"
            'You are enrolled in "{{ learning_object.title }}" in {{ portal.title }}.\n'
            "{{# enrolment.start_date }}Starts: {{ enrolment.start_date | date }}\n{{/ enrolment.start_date }}"
            "{{# enrolment.due_date }}Due: {{ enrolment.due_date | date }}\n{{/ enrolment.due_date }}"
        ),
        html=_page(
            "<p>Hello {{ recipient.name }},</p>"
            "<p>You are enrolled in <strong>{{ learning_object.title }}</strong> in {{ portal.title }}.</p>"
            "{{# enrolment.start_date }}<p>Starts: <strong>{{ enrolment.start_date | date }}</strong></p>"
            "{{/ enrolment.start_date }}"
            "{{# enrolment.due_date }}<p>Due: <strong>{{ enrolment.due_date | date }}</strong></p>"
            "{{/ enrolment.due_date }}"
        ),
    ),
    # --- billing (docs/product.md "Billing"): `recipient`, `subscription_id`, `plan_id`, `amount_display`,
    # `subject_display`, `invoice` {id, amount_display}; a failure adds `error_message`,
    # `attempts_left`, `cancelled`, `continuing` ---
    EventType.INVOICE_PAID: EmailTemplate(
        subject="Receipt: {{ invoice.amount_display }} paid",
        text=(
            "Hello {{ recipient.name }},\n\n"
            "We received your payment of {{ invoice.amount_display }} for {{ subject_display }}.\n"
            "Invoice: {{ invoice.id }}\n"
        ),
        html=_billing_page(
            "<p>Hello {{ recipient.name }},</p>"
            "<p>We received your payment of <strong>{{ invoice.amount_display }}</strong>"
            " for {{ subject_display }}.</p><p>Invoice: {{ invoice.id }}</p>"
        ),
    ),
    EventType.INVOICE_PAYMENT_FAILED: EmailTemplate(
        subject="Payment failed: {{ invoice.amount_display }}",
        text=(
            "Hello {{ recipient.name }},\n\n"
            "Your payment of {{ invoice.amount_display }} for {{ subject_display }} failed:"
            " {{ error_message }}\n"
            "{{# cancelled }}The subscription is cancelled.\n{{/ cancelled }}"
            "{{# continuing }}Payments that may still fail before the subscription is cancelled:"
            " {{ attempts_left }}.\n{{/ continuing }}"
        ),
        html=_billing_page(
            "<p>Hello {{ recipient.name }},</p>"
            "<p>Your payment of <strong>{{ invoice.amount_display }}</strong> for"
            " {{ subject_display }} failed: {{ error_message }}</p>"
            "{{# cancelled }}<p>The subscription is cancelled.</p>{{/ cancelled }}"
            "{{# continuing }}<p>Payments that may still fail before the subscription is cancelled:"
            " <strong>{{ attempts_left }}</strong>.</p>{{/ continuing }}"
        ),
    ),
    EventType.SUBSCRIPTION_CANCELLED: EmailTemplate(
        subject="Your subscription is cancelled",
        text=(
            "Hello {{ recipient.name }},\n\n"
            "Your subscription {{ subscription_id }} is cancelled ({{ reason }}). Nothing more will be charged.\n"
        ),
        html=_billing_page(
            "<p>Hello {{ recipient.name }},</p>"
            "<p>Your subscription {{ subscription_id }} is cancelled ({{ reason }})."
            " Nothing more will be charged.</p>"
        ),
    ),
    EventType.ORDER_AWAITING_PAYMENT: EmailTemplate(
        subject="Your order {{ order_id }} awaits a payment method",
        text=(
            "Hello {{ recipient.name }},\n\n"
            "Your order {{ order_id }} of {{ amount_display }} ({{ plan_name }}) is due, but you have no payment"
            " method. Add one, and the next orders are charged to it.\n"
        ),
        html=_billing_page(
            "<p>Hello {{ recipient.name }},</p>"
            "<p>Your order {{ order_id }} of <strong>{{ amount_display }}</strong> ({{ plan_name }}) is due,"
            " but you have no payment method. Add one, and the next orders are charged to it.</p>"
        ),
    ),
}
