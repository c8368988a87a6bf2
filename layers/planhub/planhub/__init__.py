"""planhub's shared layer: auth, permissions, commercial controls, storage, events and domain logic.

Pure logic (models, permissions, date rules) never imports boto3; only `planhub.storage`
and `planhub.events.bus` talk to AWS, so the domain tests run in microseconds.
"""
