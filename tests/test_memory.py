"""vulib.memory (what a kernel may still use, who else holds memory) and the course's Jupyter
settings that stop kernels from piling up (binder/jupyter, used by scripts/lab.sh and Binder)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

from traitlets.config.loader import PyFileConfigLoader

from vulib import environment_summary
from vulib.memory import (
    KernelMemory,
    MemoryStatus,
    memory_advice,
    memory_report,
    memory_status,
    other_kernels,
    process_rss,
)

ROOT = Path(__file__).resolve().parent.parent
GB, MB = 2**30, 2**20


def fake_root(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    return tmp_path


MEMINFO = "MemTotal:       16000000 kB\nMemFree:  1000 kB\nMemAvailable:   12000000 kB\n"


def test_cgroup_v2_limit_is_the_tightest_ancestor_and_ignores_file_cache(tmp_path):
    root = fake_root(
        tmp_path,
        {
            "proc/meminfo": MEMINFO,
            "proc/self/cgroup": "0::/user/binder/kernel\n",
            "sys/fs/cgroup/user/memory.max": str(2 * GB),
            "sys/fs/cgroup/user/binder/memory.max": "max",
            "sys/fs/cgroup/user/binder/kernel/memory.max": "max",
            "sys/fs/cgroup/user/binder/kernel/memory.current": str(900 * MB),
            "sys/fs/cgroup/user/binder/kernel/memory.stat": f"anon 1\ninactive_file {100 * MB}\n",
        },
    )
    status = memory_status(root)
    assert status == MemoryStatus(2 * GB, 800 * MB, "cgroup v2")
    assert status.available == 2 * GB - 800 * MB


def test_cgroup_v1_uses_the_hierarchical_limit(tmp_path):
    root = fake_root(
        tmp_path,
        {
            "proc/meminfo": MEMINFO,
            "proc/self/cgroup": "9:cpu,cpuacct:/\n4:memory:/pod/abc\n0::/\n",
            "sys/fs/cgroup/memory/pod/abc/memory.limit_in_bytes": "9223372036854771712",
            "sys/fs/cgroup/memory/pod/abc/memory.usage_in_bytes": str(1500 * MB),
            "sys/fs/cgroup/memory/pod/abc/memory.stat": (
                f"cache 5\nhierarchical_memory_limit {2 * GB}\ntotal_inactive_file {300 * MB}\n"
            ),
        },
    )
    assert memory_status(root) == MemoryStatus(2 * GB, 1200 * MB, "cgroup v1")


def test_no_limit_means_the_machines_memory_and_nothing_readable_means_none(tmp_path):
    root = fake_root(
        tmp_path / "a",
        {
            "proc/meminfo": MEMINFO,
            "proc/self/cgroup": "4:memory:/\n",
            "sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712",
            "sys/fs/cgroup/memory/memory.usage_in_bytes": str(3 * GB),
        },
    )
    assert memory_status(root) == MemoryStatus(16000000 * 1024, 4000000 * 1024, "system")
    assert memory_status(tmp_path / "nothing") is None


def test_this_machine_reads_and_this_process_has_a_size():
    status = memory_status()
    assert status is not None and 0 < status.available <= status.total
    assert process_rss() > 10 * MB
    assert process_rss(2**30) is None  # no such process


def test_sibling_kernels_are_found_by_parent_and_command_line(tmp_path):
    parent = os.getppid()

    def proc(pid, ppid, argv, rss_kb):
        return {
            f"proc/{pid}/stat": f"{pid} (python3) S {ppid} 1 1 0",
            f"proc/{pid}/cmdline": "\0".join(argv) + "\0",
            f"proc/{pid}/status": f"Name: python3\nVmRSS:\t{rss_kb} kB\n",
        }

    files = {}
    files |= proc(
        101,
        parent,
        ["python", "-m", "ipykernel_launcher", "-f", "/run/kernel-0a1b2c3d-0000-4000-8000-000000000001.json"],
        800 * 1024,
    )
    files |= proc(102, parent, ["python", "-m", "ipykernel_launcher", "-f", "/run/kernel-x.json"], 300 * 1024)
    files |= proc(103, parent, ["bash"], 5 * 1024)  # not a kernel
    files |= proc(104, parent + 1, ["python", "-m", "ipykernel_launcher"], 900 * 1024)  # another server's
    found = other_kernels(fake_root(tmp_path, files))
    assert [(k.pid, k.rss) for k in found] == [(101, 800 * MB), (102, 300 * MB)]


def test_advice_is_quiet_when_there_is_room():
    text = memory_advice(MemoryStatus(2 * GB, 450 * MB, "cgroup v2"), [], own_rss=300 * MB)
    assert text.startswith("memory: 1.6 GB free of 2.0 GB (this container's limit)")
    assert "⚠" not in text


def test_advice_names_the_other_kernels_and_says_what_to_do():
    others = [KernelMemory(11, 812 * MB, "00_videos_as_tensors.ipynb"), KernelMemory(12, 604 * MB, None)]
    text = memory_advice(MemoryStatus(2 * GB, 1800 * MB, "cgroup v2"), others, own_rss=300 * MB)
    assert (
        "other kernels of this server hold 1.4 GB: 00_videos_as_tensors.ipynb 812 MB, a kernel (pid 12) 604 MB" in text
    )
    assert "⚠ This lesson may need about 1.2 GB more, and only 0.2 GB is free." in text
    assert "close their tabs" in text and "Running Terminals and Kernels" in text
    alone = memory_advice(MemoryStatus(2 * GB, 1800 * MB, "system"), [], own_rss=300 * MB)
    assert "⚠" in alone and "Close other programs" in alone and "this machine" in alone
    assert memory_advice(None, [], None) == "memory: unknown on this system"


def test_environment_summary_has_versions_then_memory():
    versions, memory = environment_summary().split("\n", 1)
    assert versions.startswith("vulib ") and "torch" in versions
    assert memory.startswith("memory: ") and memory == memory_report()


# --------------------------------------------------------------------------- the course's Jupyter settings
JUPYTER = ROOT / "binder" / "jupyter"


def test_closing_a_tab_ends_its_kernel_and_no_news_popup_in_lab_settings():
    overrides = json.loads((JUPYTER / "lab-settings" / "overrides.json").read_text())
    assert overrides["@jupyterlab/notebook-extension:tracker"]["kernelShutdown"] is True
    assert overrides["@jupyterlab/apputils-extension:notification"] == {"fetchNews": "false", "checkForUpdates": False}


def test_server_config_culls_idle_kernels_and_points_lab_at_the_settings():
    config = PyFileConfigLoader("jupyter_server_config.py", str(JUPYTER)).load_config()
    kernels = config.MappingKernelManager
    assert 0 < kernels.cull_idle_timeout <= 3600 and kernels.cull_interval <= 120 and kernels.cull_connected
    assert Path(config.LabApp.app_settings_dir) == JUPYTER / "lab-settings"
    assert config.LabApp.news_url is None


def test_binder_start_and_lab_sh_add_the_settings_without_touching_the_users_own(tmp_path):
    start = ROOT / "binder" / "start"
    assert start.stat().st_mode & stat.S_IXUSR, "binder/start must be executable (repo2docker runs it)"
    env = dict(os.environ, JUPYTER_CONFIG_PATH="/somewhere/else")
    out = subprocess.run(
        ["bash", str(start), "bash", "-c", 'echo "$JUPYTER_CONFIG_PATH"'],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert out == f"{JUPYTER}:/somewhere/else"  # ours added in front, theirs kept
    lab = (ROOT / "scripts" / "lab.sh").read_text()
    assert 'binder/start" jupyter lab' in lab
    assert "JUPYTER_CONFIG_DIR" not in lab  # the learner's own config dir is left alone


def test_freed_memory_is_released_after_each_cell_in_a_kernel():
    from IPython.core.interactiveshell import InteractiveShell

    from vulib.memory import release_after_each_cell, release_freed_memory

    assert release_freed_memory() is True  # glibc (Linux): malloc_trim exists
    shell = InteractiveShell.instance()
    before = len(shell.events.callbacks["post_run_cell"])
    assert release_after_each_cell() and release_after_each_cell()  # a second call adds nothing
    assert len(shell.events.callbacks["post_run_cell"]) == before + 1
    shell.run_cell("x = bytearray(50 * 2**20); del x")  # the hook runs without error
