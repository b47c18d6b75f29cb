"""A Faust codec over the single-object Avro codec, registered as ``lienthong-avro``."""

from __future__ import annotations

from typing import Any

from faust.serializers import codecs

from lienthong.contracts.codec import AvroCodec, Decoded
from lienthong.errors import RecordMismatch

CODEC_NAME = "lienthong-avro"


class FaustAvroCodec(codecs.Codec):
    """Dumps ``(schema_name, record)`` pairs; loads bytes into :class:`Decoded` events."""

    def __init__(self, avro: AvroCodec | None = None, **kwargs: Any) -> None:
        self.avro = avro or AvroCodec()
        super().__init__(**kwargs)

    def _dumps(self, obj: Any) -> bytes:
        if isinstance(obj, Decoded):
            return self.avro.encode(obj.schema.full_name, obj.record)
        if not (isinstance(obj, tuple) and len(obj) == 2 and isinstance(obj[0], str)):
            raise RecordMismatch("the lienthong-avro codec sends (schema_name, record) pairs")
        return self.avro.encode(obj[0], obj[1])

    def _loads(self, s: bytes) -> Decoded:
        return self.avro.decode(s)


def register(avro: AvroCodec | None = None) -> str:
    """Register the codec with Faust (idempotent) and return its name."""
    codecs.register(CODEC_NAME, FaustAvroCodec(avro))
    return CODEC_NAME
