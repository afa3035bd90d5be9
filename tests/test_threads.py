"""The default CPU thread count: VULIB_NUM_THREADS, pytest-xdist workers, affinity mask, cgroup quota."""

import pytest

from vulib.device import cpu_quota, default_num_threads


def test_override_wins():
    assert (
        default_num_threads(env={"VULIB_NUM_THREADS": "3", "PYTEST_XDIST_WORKER_COUNT": "2"}, quota=1.0, affinity={0})
        == 3
    )


def test_one_thread_per_xdist_worker():
    assert default_num_threads(env={"PYTEST_XDIST_WORKER_COUNT": "2"}, quota=None, affinity={0, 1, 2, 3}) == 1
    assert default_num_threads(env={"PYTEST_XDIST_WORKER_COUNT": "1"}, quota=None, affinity={0, 1}, load=0.0) == 2


@pytest.mark.parametrize(
    "quota, affinity, expected",
    [
        (None, {0, 1}, 2),  # an idle 2-core machine
        (None, set(range(8)), 8),  # a learner's laptop
        (1.0, set(range(16)), 1),  # Binder-like: 16 visible cores, 1 CPU of quota
        (2.0, set(range(16)), 2),
        (1.5, set(range(16)), 1),  # a fractional quota rounds down
        (0.5, set(range(16)), 1),  # ... but never below one thread
        (8.0, {2, 3}, 2),  # the affinity mask is the tighter limit
    ],
)
def test_affinity_and_quota(quota, affinity, expected):
    assert default_num_threads(env={}, quota=quota, affinity=affinity, load=0.0) == expected


@pytest.mark.parametrize("load, expected", [(0.3, 2), (1.9, 2), (2.0, 1), (13.0, 1), (None, 2)])
def test_a_busy_machine_gets_one_thread(load, expected):
    assert default_num_threads(env={}, quota=None, affinity={0, 1}, load=load) == expected


def test_unknown_affinity_falls_back_to_cpu_count():
    assert default_num_threads(env={}, quota=None, affinity=None, cpu_count=4, load=None) == 4


def test_bad_override_is_a_clear_error():
    with pytest.raises(ValueError, match="VULIB_NUM_THREADS must be an integer"):
        default_num_threads(env={"VULIB_NUM_THREADS": "two"}, quota=None, affinity={0})


def test_cgroup_v2_quota(tmp_path):
    (tmp_path / "cpu.max").write_text("150000 100000\n")
    assert cpu_quota(tmp_path) == 1.5
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert cpu_quota(tmp_path) is None


def test_cgroup_v1_quota(tmp_path):
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("200000\n")
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert cpu_quota(tmp_path) == 2.0
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("-1\n")
    assert cpu_quota(tmp_path) is None


def test_no_cgroup_files(tmp_path):
    assert cpu_quota(tmp_path) is None
