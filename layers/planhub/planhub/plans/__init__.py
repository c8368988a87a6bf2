"""Plans (SPEC.md section 4): assigning learning objects to users and groups, and the
reminders and overdue notices of their due dates."""
