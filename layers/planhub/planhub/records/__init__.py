"""The stored records several areas read: the shared kernel of the catalog's records.

Staff write them through `planhub.catalog`; plans, enrolments, plan plays, commercial
controls and subscriptions read them. One small module per record kind, so a function loads
only the records it reads (importing this package loads none of them). The entities are
stored as they are defined here; `repository` holds the reads other areas share.
"""
