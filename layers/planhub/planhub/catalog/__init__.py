"""The catalog: portals, users, groups, learning objects, companies, products, clients,
coupons and credit tokens, upserted by staff and read by every other capability."""
