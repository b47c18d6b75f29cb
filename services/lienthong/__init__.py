"""Lienthong: one online dossier for a newborn, carried between agencies as Avro events on Kafka."""

#: The release (SemVer), the one source of the version: the wheel's metadata, the container
#: image tags in docker-compose.yml and deploy/k8s, the CHANGELOG's newest section.
__version__ = "0.6.0"
