"""Lienthong: one online dossier for a newborn, carried between agencies as Avro events on Kafka."""

__version__ = "0.1.0"
