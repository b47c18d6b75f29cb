"""The integrator client: validate and publish intake events, follow a dossier's status."""

from lienthong.client.publisher import IntakePublisher
from lienthong.client.status import StatusFollower, Timeline

__all__ = ["IntakePublisher", "StatusFollower", "Timeline"]
