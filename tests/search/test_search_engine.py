"""The Optuna engine: workers sharing a study run exactly its budget, failures are recorded, dead
workers' trials are replaced. The objective is synthetic (no training) so that this is fast."""

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from convzoo.search.engine import make_sampler, open_storage, open_study, reap_stale, run_worker
from convzoo.search.spaces import get_space
from convzoo.search.synthetic import SyntheticObjective

ROOT = Path(__file__).resolve().parents[2]
WORKER = textwrap.dedent(
    """
    import sys
    import time
    from pathlib import Path
    from convzoo.search.engine import make_pruner, make_sampler, open_storage, open_study, run_worker
    from convzoo.search.spaces import get_space
    from convzoo.search.synthetic import SyntheticObjective
    url, name = sys.argv[1], sys.argv[2]
    trials, seed, delay = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
    barrier = Path(sys.argv[6]) if len(sys.argv) > 6 else None
    space = get_space("blockqnn", max_layers=4)
    study = open_study(open_storage(url), name, trials, make_sampler("qlearning", space, seed, trials),
                       make_pruner("none"))
    if barrier:  # start together, so that both workers take trials
        (barrier / f"ready-{seed}").touch()
        while not (barrier / "go").exists():
            time.sleep(0.05)
    objective = SyntheticObjective(space, delay=delay)
    done = run_worker(study, objective, strategy_name="qlearning", heartbeat_s=0.5)
    print("ran", " ".join(str(t.number) for t in done))
    """
)


def start_script(script: str, *args: str) -> subprocess.Popen:
    """A Python process running `script` with `args`, the repository on its path, output captured."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def start_worker(url, name, trials, seed, delay=0.05, barrier=None):
    extra = [str(barrier)] if barrier else []
    return start_script(WORKER, url, name, str(trials), str(seed), str(delay), *extra)


def release_together(workers: list[subprocess.Popen], barrier: Path) -> None:
    """Wait until workers 0 and 1 are ready (or one has exited), then let both go at once."""
    for _ in range(3000):
        if all((barrier / f"ready-{seed}").exists() for seed in (0, 1)) or any(
            w.poll() is not None for w in workers
        ):
            break
        time.sleep(0.1)
    (barrier / "go").touch()


def check_two_workers(url, barrier, name="shared", trials=12):
    workers = [start_worker(url, name, trials, seed, 0.3, barrier) for seed in (0, 1)]
    release_together(workers, barrier)
    ran = []
    for w in workers:
        out, err = w.communicate(timeout=600)
        assert w.returncode == 0, err
        ran.append([int(n) for n in out.split()[1:]])
    study = optuna.load_study(study_name=name, storage=open_storage(url))
    trials_done = study.get_trials(states=(TrialState.COMPLETE,))
    assert len(trials_done) == trials and len(study.trials) == trials
    numbers = sorted(ran[0] + ran[1])
    assert numbers == list(range(trials))  # every trial once, none twice
    assert ran[0] and ran[1]  # both workers took trials
    assert len({t.system_attrs["worker"] for t in trials_done}) == 2
    return ran


@pytest.mark.slow
def test_two_workers_on_one_sqlite_file_run_exactly_the_budget(tmp_path):
    check_two_workers(f"sqlite:///{tmp_path / 'studies.db'}", tmp_path)


@pytest.mark.slow
def test_two_workers_on_one_journal_file_run_exactly_the_budget(tmp_path):
    check_two_workers(f"journal:{tmp_path / 'study.log'}", tmp_path)


def test_two_workers_on_postgresql_run_exactly_the_budget(tmp_path):
    url = os.environ.get("CONVZOO_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("CONVZOO_TEST_POSTGRES_URL is not set: .ci/run starts a PostgreSQL server and sets it")
    check_two_workers(url, tmp_path, name=f"shared-{os.getpid()}-{int(time.time())}")


def test_a_crashing_trial_is_recorded_failed_with_its_error(tmp_path):
    space = get_space("blockqnn", max_layers=3)
    study = open_study(open_storage(None, tmp_path), "crash", 4, make_sampler("random", space, 0, 4),
                       optuna.pruners.NopPruner())  # fmt: skip
    done = run_worker(study, SyntheticObjective(space, fail_on=(1,)), strategy_name="random")
    assert [t.state for t in done] == [
        TrialState.COMPLETE,
        TrialState.FAIL,
        TrialState.COMPLETE,
        TrialState.COMPLETE,
    ]
    assert done[1].user_attrs["error"] == "RuntimeError: synthetic failure of trial 1"


@pytest.mark.slow
def test_a_killed_worker_loses_only_its_trial_and_a_rerun_finishes_the_budget(tmp_path):
    url = f"sqlite:///{tmp_path / 'studies.db'}"
    worker = start_worker(url, "killed", 6, 0, delay=30.0)  # every trial sleeps: kill it inside trial 0
    storage = open_storage(url)
    for _ in range(600):
        time.sleep(0.1)
        names = [s.study_name for s in optuna.get_all_study_summaries(storage)]
        if "killed" in names and optuna.load_study(study_name="killed", storage=storage).get_trials(
            states=(TrialState.RUNNING,)
        ):
            break
    worker.kill()
    worker.communicate()
    space = get_space("blockqnn", max_layers=4)
    study = open_study(
        storage, "killed", 6, make_sampler("qlearning", space, 0, 6), optuna.pruners.NopPruner()
    )
    assert reap_stale(study) == [0]  # its process is gone: marked failed at once, a replacement enqueued
    run_worker(study, SyntheticObjective(space), strategy_name="qlearning")
    states = [t.state for t in sorted(study.trials, key=lambda t: t.number)]
    assert states[0] == TrialState.FAIL and "stopped during the trial" in study.trials[0].user_attrs["error"]
    assert states[1:].count(TrialState.COMPLETE) == 6 and len(states) == 7


def test_a_journal_file_in_a_folder_not_yet_made_is_made_as_the_sqlite_default_is(tmp_path):
    path = tmp_path / "runs" / "search" / "blocks.log"
    storage = open_storage(f"journal:{path}")
    optuna.create_study(storage=storage, study_name="s").optimize(lambda t: t.suggest_float("x", 0, 1), 1)
    assert path.is_file() and path.stat().st_size > 0


@pytest.mark.parametrize("error", ["IntegrityError", "OperationalError", "ProgrammingError"])
def test_a_worker_that_loses_the_schema_race_opens_the_winners_schema(monkeypatch, error):
    """SQLite says 'table ... already exists', PostgreSQL 'duplicate type': the loser retries."""
    import sqlalchemy.exc

    from convzoo.search import engine

    calls = []

    def rdb_storage(url, engine_kwargs):
        calls.append(url)
        if len(calls) == 1:
            raise getattr(sqlalchemy.exc, error)("CREATE TABLE trial_params", {}, Exception("already exists"))
        return "storage"

    monkeypatch.setattr(optuna.storages, "RDBStorage", rdb_storage)
    monkeypatch.setattr(engine.time, "sleep", lambda s: None)
    assert engine._rdb_storage("sqlite:///x.db") == "storage" and len(calls) == 2


CLAIMER = textwrap.dedent(
    """
    import sys
    import time
    from pathlib import Path
    import optuna
    from convzoo.search.engine import claim, open_storage
    url, barrier, seed = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    study = optuna.load_study(study_name="race", storage=open_storage(url))
    (barrier / f"ready-{seed}").touch()
    while not (barrier / "go").exists():
        time.sleep(0.01)
    claimed = []
    while (trial := claim(study)) is not None:
        claimed.append(trial.number)
    print(" ".join(map(str, claimed)))
    """
)


@pytest.mark.slow
def test_two_workers_never_claim_the_same_waiting_trial_on_sqlite(tmp_path):
    """SQLite ignores SELECT ... FOR UPDATE: without transactions that take the write lock before they
    read, two workers both read a trial as WAITING and both run it."""
    url = f"sqlite:///{tmp_path / 'studies.db'}"
    study = optuna.create_study(storage=open_storage(url), study_name="race")
    for _ in range(120):
        study.enqueue_trial({}, skip_if_exists=False)
    workers = [start_script(CLAIMER, url, str(tmp_path), str(seed)) for seed in (0, 1)]
    release_together(workers, tmp_path)
    claimed = []
    for w in workers:
        out, err = w.communicate(timeout=300)
        assert w.returncode == 0, err
        claimed.append([int(n) for n in out.split()])
    assert sorted(claimed[0] + claimed[1]) == list(range(120))  # each trial claimed once
    assert claimed[0] and claimed[1]


def test_a_failure_of_a_trial_the_reaper_finished_keeps_the_reapers_record(tmp_path):
    from convzoo.search.engine import claim, record_failure

    study = optuna.create_study(storage=open_storage(None, tmp_path), study_name="reaped")
    for _ in range(2):
        study.enqueue_trial({}, skip_if_exists=False)
    reaped, running = claim(study), claim(study)
    study._storage.set_trial_user_attr(reaped._trial_id, "error", "worker w stopped during the trial")
    study._storage.set_trial_state_values(reaped._trial_id, TrialState.FAIL)
    kept = record_failure(study, reaped, RuntimeError("too late"))
    assert kept.state == TrialState.FAIL and kept.user_attrs["error"] == "worker w stopped during the trial"
    failed = record_failure(study, running, RuntimeError("boom"))
    assert failed.state == TrialState.FAIL and failed.user_attrs["error"] == "RuntimeError: boom"


def waiting(study: optuna.Study) -> int:
    return len(study.get_trials(deepcopy=False, states=(TrialState.WAITING,)))


@pytest.mark.parametrize("reaped_first", [False, True])
def test_an_interrupted_trial_is_replaced_once(tmp_path, reaped_first):
    """Ctrl-C marks the trial FAIL and enqueues its replacement, unless the reaper had already done
    both (it took the trial from a worker that went silent): then nothing is written twice."""
    from convzoo.search.engine import fail_trial

    study = optuna.create_study(storage=open_storage(None, tmp_path), study_name="interrupted")
    for _ in range(3):
        study.enqueue_trial({}, skip_if_exists=False)

    def objective(trial):
        if reaped_first:  # what reap_stale does to a silent worker's trial
            assert fail_trial(study, trial._trial_id, "worker w stopped during the trial")
            study.enqueue_trial({}, skip_if_exists=False)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_worker(study, objective, strategy_name="random")
    (failed,) = study.get_trials(deepcopy=False, states=(TrialState.FAIL,))
    assert failed.user_attrs["error"] == (
        "worker w stopped during the trial" if reaped_first else "interrupted"
    )
    assert waiting(study) == 3  # two left of the budget, and one replacement
