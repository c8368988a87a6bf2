"""Plans (docs/product.md "Plans"): assigning learning objects to users and groups, and the
reminders and overdue notices of their due dates."""
