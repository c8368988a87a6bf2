"""Storage: keys, the table, and the entities' repositories. The only package that calls DynamoDB."""

from planhub.storage.table import (
    Check,
    ConditionFailed,
    Delete,
    Expression,
    Found,
    Page,
    Put,
    Table,
    TransactionCanceled,
    Update,
    Write,
    exists,
    not_exists,
)

__all__ = [
    "Check",
    "ConditionFailed",
    "Delete",
    "Expression",
    "Found",
    "Page",
    "Put",
    "Table",
    "TransactionCanceled",
    "Update",
    "Write",
    "exists",
    "not_exists",
]
