"""The office's views, one module per area; `parentlink.office.routes` is the routing table."""
