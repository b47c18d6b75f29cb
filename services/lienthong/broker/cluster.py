"""Three local KRaft nodes from the same jars, as the cluster runs them: replication 3, min ISR 2.

Each node is broker and controller, like the manifests' single dual-role node pool (kafka.yaml):
a controller quorum of three survives any one node's death, which is what the broker-kill test
needs (one controller plus brokers would make that controller a node that may never die, and is
not what the cluster runs). Node ``i`` (1-3) listens on ``kafka_port + i - 1`` for clients and
``kafka_controller_port + i - 1`` for the quorum, keeps its data in ``kafka_data_dir/node-i``,
and all share one cluster id (``kafka_data_dir/cluster.id``).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from kafka import KafkaAdminClient
from kafka.errors import KafkaError

from lienthong.broker.local import LocalBroker
from lienthong.broker.probe import HOST, StartResult, StopResult
from lienthong.errors import BrokerError, SettingsError
from lienthong.places import VAR_DIR
from lienthong.settings import Settings

SIZE = 3
REPLICATION = 3
MIN_ISR = 2
#: Never the single broker's ports (19092/19093) nor the secured one's (19094/19095).
CLUSTER_PORT = 19096
CLUSTER_CONTROLLER_PORT = CLUSTER_PORT + SIZE
CLUSTER_DATA_DIR = VAR_DIR / "kafka-cluster"


def cluster_settings(base: Settings, **overrides: object) -> Settings:
    """Settings for a three-node cluster: its own ports and data directory, replication 3."""
    port = int(str(overrides.get("kafka_port", CLUSTER_PORT)))
    values: dict[str, object] = {
        "kafka_port": port,
        "kafka_controller_port": CLUSTER_CONTROLLER_PORT,
        "kafka_data_dir": CLUSTER_DATA_DIR,
        "replication_factor": REPLICATION,
        **overrides,
    }
    values.setdefault("bootstrap_servers", ",".join(f"{HOST}:{port + i}" for i in range(SIZE)))
    return base.model_copy(update=values)


class ClusterNode(LocalBroker):
    """One node of a LocalCluster: its own ports and data directory, the cluster's id."""

    def __init__(self, cluster: LocalCluster, node_id: int) -> None:
        offset = node_id - 1
        base = cluster.settings
        super().__init__(
            base.model_copy(
                update={
                    "kafka_port": base.kafka_port + offset,
                    "kafka_controller_port": base.kafka_controller_port + offset,
                    "kafka_data_dir": base.kafka_data_dir / f"node-{node_id}",
                }
            )
        )
        self.cluster = cluster
        self.node_id = node_id

    def _template_values(self) -> dict[str, object]:
        return {
            **super()._template_values(),
            "node_id": self.node_id,
            "quorum_voters": self.cluster.quorum_voters(),
            "replication": REPLICATION,
            "min_isr": MIN_ISR,
        }

    def _jvm_flags(self) -> list[str]:
        """Three brokers share a developer's cores: one GC thread, and no optimising JIT
        compiler (it costs most of a JVM's CPU in its first minute; throughput is not the
        point here), so a restarted node is back sooner."""
        return ["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"]

    def _render_properties(self) -> None:
        template = self.kafka_dir / self.template
        if "$node_id" not in template.read_text():
            raise BrokerError(
                f"{template} has no $node_id: it renders a single node only (jars and template "
                "come from LIENTHONG_KAFKA_DIR; use this checkout's deploy/kafka)"
            )
        super()._render_properties()

    def _cluster_id(self, tool: list[str]) -> str:
        return self.cluster.cluster_id(lambda: super(ClusterNode, self)._cluster_id(tool))


class LocalCluster:
    """Three KRaft nodes started together; each can be killed and started again on its own."""

    def __init__(self, settings: Settings) -> None:
        ports = {settings.kafka_port + i for i in range(SIZE)}
        controllers = {settings.kafka_controller_port + i for i in range(SIZE)}
        if ports & controllers:
            raise SettingsError(
                f"the cluster's client ports {sorted(ports)} and controller ports "
                f"{sorted(controllers)} overlap: kafka_controller_port must be at least "
                f"kafka_port + {SIZE}"
            )
        self.settings = settings
        self.id_file = settings.kafka_data_dir / "cluster.id"
        self.nodes = [ClusterNode(self, node_id) for node_id in range(1, SIZE + 1)]
        self.bootstrap = ",".join(node.bootstrap for node in self.nodes)

    def quorum_voters(self) -> str:
        return ",".join(
            f"{node.node_id}@{HOST}:{node.settings.kafka_controller_port}" for node in self.nodes
        )

    def cluster_id(self, new: Callable[[], str]) -> str:
        """The id every node is formatted with: made once, kept next to the nodes' data."""
        if not self.id_file.exists():
            self.id_file.parent.mkdir(parents=True, exist_ok=True)
            self.id_file.write_text(new() + "\n")
        return self.id_file.read_text().strip()

    def start(self) -> list[StartResult]:
        """Launch every node that is not running, then wait until each answers."""
        for node in self.nodes:
            if node.status().pid is None and not node.status().answering:
                node.launch()
        results = [node.start() for node in self.nodes]
        self.wait_registered()
        return results

    def wait_registered(self) -> None:
        """Wait until the metadata lists every node: a node that answers may not be known to
        the others yet, and an admin request routed to it fails (UnknownBrokerIdError)."""
        deadline = time.monotonic() + self.settings.kafka_start_timeout
        while time.monotonic() < deadline:
            admin = None
            try:
                admin = KafkaAdminClient(
                    **self.settings.kafka_client_options(), client_id="lienthong-cluster"
                )
                described = admin.describe_cluster()
                known = {b["broker_id"] for b in described["brokers"] if not b.get("is_fenced")}
                if len(known) == SIZE and described.get("controller_id") in known:
                    return
            except KafkaError:
                pass
            finally:
                if admin is not None:
                    with contextlib.suppress(Exception):
                        admin.close()
            time.sleep(0.5)
        raise BrokerError(f"the {SIZE} nodes did not all register within the start timeout")

    def stop(self) -> list[StopResult]:
        """Stop every node at once: the last of nodes stopped one by one would wait for a
        controller quorum that is gone, and be killed after a minute."""
        with ThreadPoolExecutor(SIZE) as pool:
            return list(pool.map(lambda node: node.stop(), self.nodes))

    def under_replicated(self, names: Sequence[str]) -> list[str]:
        """``topic[partition]`` of ``names`` whose in-sync replicas are fewer than its replicas."""
        admin = KafkaAdminClient(**self.settings.kafka_client_options(), client_id="lienthong-isr")
        try:
            described = admin.describe_topics(list(names))
        finally:
            with contextlib.suppress(Exception):
                admin.close()
        return [
            f"{topic['name']}[{part['partition_index']}]"
            for topic in described
            for part in topic["partitions"]
            if len(part["isr_nodes"]) < len(part["replica_nodes"])
        ]
