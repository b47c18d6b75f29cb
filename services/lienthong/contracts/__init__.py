"""The Avro contract layer: schema catalogue, single-object codec, event metadata."""

from lienthong.contracts.catalogue import SchemaCatalogue, SchemaEntry, default_catalogue
from lienthong.contracts.codec import AvroCodec, Decoded
from lienthong.contracts.events import Envelope, event_id, metadata

__all__ = [
    "AvroCodec",
    "Decoded",
    "Envelope",
    "SchemaCatalogue",
    "SchemaEntry",
    "default_catalogue",
    "event_id",
    "metadata",
]
