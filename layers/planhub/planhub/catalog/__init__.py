"""The catalog: staff upsert portals, users, groups, learning objects, companies, products,
clients, coupons and credit tokens. The records themselves are `planhub.records`, which the
other areas read without loading the catalog's request bodies, views or service."""
