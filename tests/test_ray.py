"""The Ray executor for real: a local cluster (a head with no CPUs and two one-CPU worker
nodes, so every run lands on a worker node), time-bounded, shut down after, nothing left
behind."""

from __future__ import annotations

import subprocess

import pytest

from cnnviz.models import PRESETS
from cnnviz.runs import RunManager, RunStore, get_manager
from cnnviz.runs.executors import ThreadExecutor
from cnnviz.train import RunConfig
from conftest import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("one_torch_thread")]
RAY_PROCESSES = ("raylet", "gcs_server", "ray::", "plasma_store", "default_worker.py")


def ray_processes() -> list[str]:
    out = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if any(p in line for p in RAY_PROCESSES)]


@pytest.fixture(scope="module")
def cluster():
    import ray
    from ray.cluster_utils import Cluster

    assert not ray_processes(), "Ray processes were running before the tests"
    c = Cluster(initialize_head=True, head_node_args={"num_cpus": 0})
    nodes = [c.add_node(num_cpus=1), c.add_node(num_cpus=1)]
    c.wait_for_nodes()
    try:
        yield c, nodes
    finally:
        ray.shutdown()
        c.shutdown()
        wait_for(lambda: not ray_processes(), timeout=60, step=0.5)


@pytest.fixture
def ray_manager(cluster, tmp_path, monkeypatch):
    """The app's own path: CNNVIZ_EXECUTOR=ray with the cluster's address, one thread a run."""
    c, _ = cluster
    monkeypatch.setenv("CNNVIZ_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CNNVIZ_EXECUTOR", "ray")
    monkeypatch.setenv("CNNVIZ_RAY_ADDRESS", c.address)
    monkeypatch.setenv("CNNVIZ_THREADS", "1")
    m = get_manager()
    assert m.executor.kind == "ray"
    assert m.executor.ready.wait(120) and m.executor.error is None
    yield m
    m.shutdown()


def cfg(**kw) -> RunConfig:
    base = {"spec": PRESETS["LeNet"], "num_epochs": 2, "limit": 512, "val_limit": 256, "seed": 3}
    return RunConfig(**{**base, **kw})


@pytest.mark.timeout(300)
def test_a_run_through_ray_matches_the_local_executor(ray_manager, tmp_path):
    run_id = ray_manager.submit(cfg(), name="on ray")
    assert ray_manager.wait(run_id, 240) == "finished"
    store = ray_manager.store
    assert store.get(run_id).epochs_done == 2
    assert store.points(run_id) and store.snapshot_epochs(run_id) == [0, 1, 2]
    assert store.load_state_dict(run_id) is not None
    local_store = RunStore(tmp_path / "local")
    local = RunManager(local_store, executor=ThreadExecutor(local_store, 1))
    local_id = local.submit(cfg())
    assert local.wait(local_id, 240) == "finished"
    local.shutdown()
    keys = ("epoch", "train_loss", "train_acc", "val_loss", "val_acc")
    on_ray = [{k: m[k] for k in keys} for m in store.metrics_rows(run_id)]
    here = [{k: m[k] for k in keys} for m in local_store.metrics_rows(local_id)]
    assert on_ray == here


@pytest.mark.timeout(300)
def test_stop_and_a_lost_node(ray_manager, cluster):
    import ray

    c, nodes = cluster
    store = ray_manager.store
    long = cfg(num_epochs=200, limit=2048)
    run_id = ray_manager.submit(long)
    wait_for(lambda: store.points(run_id))
    ray_manager.stop(run_id)
    assert ray_manager.wait(run_id, 30) == "stopped"

    run_id = ray_manager.submit(long)
    wait_for(lambda: store.get(run_id).epochs_done >= 1)
    actor = ray_manager.executor._runs[run_id]
    node_id, _pid = ray.get(actor.where.remote())
    (node,) = [n for n in nodes if n.node_id == node_id]
    c.remove_node(node)
    nodes.remove(node)
    assert ray_manager.wait(run_id, 60) == "interrupted"
    rec = store.get(run_id)
    assert "Ray worker training it was lost" in rec.error and rec.epochs_done >= 1
    assert store.load_state_dict(run_id) is not None
    # the other node takes the queue on
    after = ray_manager.submit(cfg(num_epochs=1))
    assert ray_manager.wait(after, 240) == "finished"
