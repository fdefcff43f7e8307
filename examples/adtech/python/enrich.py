"""Enrichment of the ad-tech pipeline in Python: `enrich.py`.

    event_parser ─campaign_events─► enrich ─enriched_events─► campaign_stats (Go)
                   (key: campaign)            (key: campaign)

Each record of `campaign_events` (key: the campaign id, `c03`; value: `imp`
or `click`, see examples/adtech/computations.hpp) becomes one record of
`enriched_events` with the same key and time and the campaign's catalogue
entry appended:

    imp  ->  imp name=trail_runners advertiser=northwind category=sports

A campaign the catalogue does not list gets `name=<id>
advertiser=unknown category=unknown` and one warning per instance. A value
that is neither `imp` nor `click` is logged and skipped, as event_parser
does with a malformed event. Stateless. Config `output` renames the stream
produced to (default `enriched_events`; the manifest's `outputs` must list
it).
"""

import eddy

# The campaigns of the built-in generator (`campaigns: 8` makes c00..c07):
# id -> (name, advertiser, category). Names are single words so the values
# stay `key=value` pairs separated by spaces.
CATALOGUE = {
    b"c00": (b"winter_boots", b"northwind", b"apparel"),
    b"c01": (b"city_breaks", b"skyline_travel", b"travel"),
    b"c02": (b"espresso_one", b"bean_and_co", b"food"),
    b"c03": (b"trail_runners", b"northwind", b"sports"),
    b"c04": (b"cloud_storage", b"stackhouse", b"software"),
    b"c05": (b"family_suv", b"meridian_motors", b"auto"),
    b"c06": (b"noise_cancel", b"sonora", b"electronics"),
    b"c07": (b"summer_sale", b"bean_and_co", b"food"),
}

KINDS = (b"imp", b"click")


def describe(campaign):
    """The suffix appended to a `campaign`'s events (bytes), None if unknown."""
    entry = CATALOGUE.get(campaign)
    if entry is None:
        return None
    name, advertiser, category = entry
    return b" name=" + name + b" advertiser=" + advertiser + b" category=" + category


def _text(data):
    return data.decode("utf-8", "replace")


class Enrich(eddy.Computation):
    """Appends each campaign's catalogue entry to its events; see the module comment."""

    def __init__(self):
        self._output = "enriched_events"
        self._suffixes = {campaign: describe(campaign) for campaign in CATALOGUE}
        self._warned = set()

    def metadata(self):
        return eddy.Metadata(
            "enrich", inputs=[("campaign_events", eddy.Grouping.KEY)], outputs=[self._output]
        )

    def init(self, ctx):
        self._output = ctx.config("output", self._output)
        if not self._output:
            raise ValueError("enrich: config `output` must name a stream")

    def process_record(self, ctx, record):
        if record.value not in KINDS:
            ctx.log(eddy.LogLevel.WARN, f"skipping event '{_text(record.value)}' of campaign "
                                        f"'{_text(record.key)}': the value must be imp or click")
            return
        suffix = self._suffixes.get(record.key)
        if suffix is None:
            if record.key not in self._warned:
                self._warned.add(record.key)
                ctx.log(eddy.LogLevel.WARN,
                        f"campaign '{_text(record.key)}' is not in the catalogue")
            suffix = b" name=" + record.key + b" advertiser=unknown category=unknown"
        ctx.produce(self._output, record.key, record.value + suffix)


if __name__ == "__main__":
    eddy.run(Enrich())
