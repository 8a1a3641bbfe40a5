"""Pages for people: server-rendered HTML (GOV.UK Frontend, Jinja2) from the same read model
and the same :class:`~services.projections.service_layer.queries.Snapshot` reads as the JSON
API, on a port of their own (``REMIT_PAGES_PORT``). No JavaScript is needed; pictures are SVG
drawn here (:mod:`.pictures`), each with the same facts as a table."""
