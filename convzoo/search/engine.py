"""The search engine: an Optuna study whose trials the strategies propose and convzoo trains.

- Storage: an SQLite file by default; any SQLAlchemy URL (postgresql://, mysql://) or a journal
  file (`journal:PATH`, Optuna's JournalStorage) lets workers on many machines share one study.
- Budget: the process that creates the study enqueues exactly `trials` waiting trials; every
  worker claims waiting trials one at a time (the storage's atomic RUNNING transition), so N
  workers run exactly `trials` between them and never one twice.
- Strategies plug in as an Optuna sampler (StrategySampler): before each trial it replays every
  finished trial of the study into the strategy and asks it for the trial's decisions.
- Failure: a crashing trial is recorded FAIL with its error; a worker that dies leaves a RUNNING
  trial whose heartbeat stops (or whose process is gone, on the same machine); the next worker
  that starts marks it FAIL ("stale") and enqueues a replacement, so a rerun finishes the budget.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import optuna
from optuna.distributions import BaseDistribution
from optuna.storages import BaseStorage
from optuna.trial import FrozenTrial, TrialState

from ..train.lock import process_alive
from .spaces import SearchSpace
from .strategies import Strategy, make_strategy

optuna.logging.set_verbosity(optuna.logging.WARNING)

HEARTBEAT_S = 30.0
GRACE_S = 120.0
WORKER = f"{socket.gethostname()}:{os.getpid()}"
PRUNERS = ("none", "median", "halving")


def open_storage(url: str | None, run_dir: str | Path = "runs/search") -> BaseStorage:
    """The study storage: URL (SQLAlchemy), `journal:PATH`, or the SQLite file run_dir/studies.db."""
    if url is None:
        Path(run_dir).mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{Path(run_dir) / 'studies.db'}"
    if url.startswith("journal:"):
        from optuna.storages.journal import JournalFileBackend, JournalStorage

        path = Path(url.removeprefix("journal:"))
        path.parent.mkdir(parents=True, exist_ok=True)  # as the default SQLite file's folder is made
        return JournalStorage(JournalFileBackend(str(path)))
    if "://" not in url:
        raise ValueError(
            "--storage expects an SQLAlchemy URL (sqlite:///PATH, postgresql://...) or journal:PATH, "
            f"got {url!r}"
        )
    try:
        storage = _rdb_storage(url)
    except ImportError as e:
        raise ValueError(f"storage {url.split(':', 1)[0]} needs a database driver: {e}") from None
    if storage.engine.name == "sqlite":
        _begin_sqlite_transactions_immediately(storage.engine)
    return storage


def _rdb_storage(url: str, attempts: int = 5) -> BaseStorage:
    """Optuna's RDBStorage; workers that start on a new database at the same moment race to create
    its tables (PostgreSQL then reports a duplicate type, SQLite a table that already exists): the
    losers wait and open the schema the winner made."""
    from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

    for attempt in range(attempts):
        try:
            return optuna.storages.RDBStorage(url, engine_kwargs=_engine_kwargs(url))
        except (IntegrityError, OperationalError, ProgrammingError):
            if attempt == attempts - 1:
                raise
            time.sleep(0.5 * (attempt + 1))
    raise AssertionError("unreachable")


def _begin_sqlite_transactions_immediately(engine: Any) -> None:
    """Make a claim's read and write one step on SQLite.

    SQLite ignores the SELECT ... FOR UPDATE with which Optuna reads a trial before it changes its
    state, and Python's sqlite3 opens a transaction only at the first write, so two workers could
    both read a trial as WAITING and both run it. Every transaction here begins IMMEDIATE, taking
    the database's write lock before it reads (SQLAlchemy's recipe for pysqlite); the pooled
    connections made before are dropped so that every connection has it."""
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _no_implicit_begin(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # sqlite3 leaves BEGIN to the listener below

    @event.listens_for(engine, "begin")
    def _begin_immediate(connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    engine.dispose()


def _engine_kwargs(url: str) -> dict[str, Any]:
    # SQLite: wait for the other workers' write locks instead of failing at once.
    return {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else {"pool_pre_ping": True}


def make_pruner(name: str) -> optuna.pruners.BasePruner:
    """median (Optuna's MedianPruner), halving (successive halving) or none."""
    if name == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=5)
    if name == "halving":
        return optuna.pruners.SuccessiveHalvingPruner()
    if name == "none":
        return optuna.pruners.NopPruner()
    raise ValueError(f"pruner must be one of {', '.join(PRUNERS)}, got {name!r}")


def finished_trials(study: optuna.Study) -> list[FrozenTrial]:
    """Trials a strategy learns from: complete or pruned with a reward, in trial order."""
    trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED))
    return sorted((t for t in trials if "reward" in t.user_attrs), key=lambda t: t.number)


class StrategySampler(optuna.samplers.BaseSampler):
    """An Optuna sampler that asks a convzoo strategy for each trial's decisions d0, d1, ..."""

    def __init__(self, strategy: Strategy) -> None:
        self.strategy = strategy
        self.seen: set[int] = set()
        self.plans: dict[int, tuple[int, ...]] = {}
        self._fallback = optuna.samplers.RandomSampler(seed=strategy.seed)

    def infer_relative_search_space(self, study, trial) -> dict[str, BaseDistribution]:
        return {}

    def sample_relative(self, study, trial, search_space) -> dict[str, Any]:
        return {}

    def sync(self, study: optuna.Study) -> None:
        """Feed the strategy every finished trial it has not seen (also those of other workers)."""
        for t in finished_trials(study):
            if t.number not in self.seen:
                self.seen.add(t.number)
                self.strategy.observe(tuple(t.user_attrs["choices"]), float(t.user_attrs["reward"]))

    def before_trial(self, study, trial: FrozenTrial) -> None:
        self.sync(study)
        self.plans[trial.number] = self.strategy.propose()

    def sample_independent(self, study, trial, param_name: str, param_distribution: BaseDistribution) -> Any:
        plan = self.plans.get(trial.number, ())
        step = int(param_name[1:]) if param_name[:1] == "d" and param_name[1:].isdigit() else -1
        if 0 <= step < len(plan) and param_distribution._contains(plan[step]):
            return plan[step]
        return self._fallback.sample_independent(study, trial, param_name, param_distribution)


def open_study(
    storage: BaseStorage, name: str, trials: int, sampler: optuna.samplers.BaseSampler, pruner
) -> optuna.Study:
    """Create the study with `trials` waiting trials, or load it (and extend its budget to `trials`)."""
    try:
        study = optuna.create_study(storage=storage, study_name=name, direction="maximize", sampler=sampler,
                                    pruner=pruner)  # fmt: skip
        for _ in range(trials):
            study.enqueue_trial({}, skip_if_exists=False)
        study.set_user_attr("budget", trials)
        return study
    except optuna.exceptions.DuplicatedStudyError:
        pass
    study = optuna.load_study(study_name=name, storage=storage, sampler=sampler, pruner=pruner)
    for _ in range(300):  # another worker created it a moment ago: wait for its waiting trials
        if "budget" in study.user_attrs:
            break
        time.sleep(0.2)
    budget = int(study.user_attrs.get("budget", 0))
    if trials > budget:
        for _ in range(trials - budget):
            study.enqueue_trial({}, skip_if_exists=False)
        study.set_user_attr("budget", trials)
    return study


def reap_stale(study: optuna.Study, grace_s: float = GRACE_S) -> list[int]:
    """Mark RUNNING trials of dead workers FAIL and enqueue a replacement for each; their numbers."""
    host = socket.gethostname()
    reaped: list[int] = []
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        worker = str(t.system_attrs.get("worker", ""))
        beat = float(t.system_attrs.get("heartbeat", t.datetime_start.timestamp() if t.datetime_start else 0))
        whost, _, wpid = worker.rpartition(":")
        dead = whost == host and wpid.isdigit() and not process_alive(int(wpid))
        if not (dead or time.time() - beat > grace_s):
            continue
        if fail_trial(study, t._trial_id, f"worker {worker or '?'} stopped during the trial"):
            study.enqueue_trial({}, skip_if_exists=False)
            reaped.append(t.number)
    return reaped


def fail_trial(study: optuna.Study, trial_id: int, error: str) -> bool:
    """Mark a running trial FAIL with `error`; False when it had finished already (the reaper took
    it from a worker that went silent, or its worker finished it). The storage checks the state and
    sets it in one transaction, so of two callers exactly one gets True, and only that one enqueues
    the trial's replacement (the other's error text may still have been written before it lost)."""
    storage = study._storage
    try:
        storage.set_trial_user_attr(trial_id, "error", error[:2000])
        return storage.set_trial_state_values(trial_id, TrialState.FAIL)
    except optuna.exceptions.UpdateFinishedTrialError:
        return False


def claim(study: optuna.Study) -> optuna.Trial | None:
    """Take one waiting trial of the study (atomically), or None when none is left."""
    storage = study._storage
    for t in study.get_trials(deepcopy=False, states=(TrialState.WAITING,)):
        try:
            if storage.set_trial_state_values(t._trial_id, TrialState.RUNNING):
                storage.set_trial_system_attr(t._trial_id, "worker", WORKER)
                storage.set_trial_system_attr(t._trial_id, "heartbeat", time.time())
                return optuna.Trial(study, t._trial_id)
        except optuna.exceptions.UpdateFinishedTrialError:
            continue
    return None


class Heartbeat:
    """Writes the trial's heartbeat every `interval` seconds while it runs."""

    def __init__(self, study: optuna.Study, trial: optuna.Trial, interval: float = HEARTBEAT_S) -> None:
        self.stop = threading.Event()
        storage, trial_id = study._storage, trial._trial_id

        def beat() -> None:
            while not self.stop.wait(interval):
                try:
                    storage.set_trial_system_attr(trial_id, "heartbeat", time.time())
                except Exception:  # the trial finished meanwhile, or the database is briefly away
                    return

        self.thread = threading.Thread(target=beat, daemon=True)

    def __enter__(self) -> Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(timeout=5)


def run_worker(
    study: optuna.Study,
    objective: Callable[[optuna.Trial], float],
    *,
    strategy_name: str,
    on_trial: Callable[[FrozenTrial], None] = lambda _t: None,
    heartbeat_s: float = HEARTBEAT_S,
    grace_s: float = GRACE_S,
    max_trials: int | None = None,
) -> list[FrozenTrial]:
    """Run waiting trials of the study until none is left (or `max_trials`); the trials this worker ran."""
    done: list[FrozenTrial] = []
    reap_stale(study, grace_s)
    while max_trials is None or len(done) < max_trials:
        trial = claim(study)
        if trial is None:
            break
        trial.set_user_attr("strategy", strategy_name)
        try:
            with Heartbeat(study, trial, heartbeat_s):
                value = objective(trial)
            frozen = study.tell(trial, value)
        except optuna.TrialPruned:
            frozen = study.tell(trial, state=TrialState.PRUNED)
        except KeyboardInterrupt:
            if fail_trial(study, trial._trial_id, "interrupted"):  # else the reaper replaced it
                study.enqueue_trial({}, skip_if_exists=False)  # the budget keeps its place for a rerun
            raise
        except Exception as e:  # a crashing trial is recorded, never lost
            frozen = record_failure(study, trial, e)
        done.append(frozen)
        on_trial(frozen)
    return done


def record_failure(study: optuna.Study, trial: optuna.Trial, error: Exception) -> FrozenTrial:
    """Mark the trial FAIL with its error; a trial already finished (the reaper took a worker that
    went silent for its trial, and enqueued a replacement) keeps what was recorded."""
    fail_trial(study, trial._trial_id, f"{type(error).__name__}: {error}")
    return study._storage.get_trial(trial._trial_id)


def start_worker_offset(study: optuna.Study) -> int:
    """Trials already claimed or finished: offsets the seed of a worker that joins a running study."""
    return len(
        study.get_trials(deepcopy=False, states=tuple(s for s in TrialState if s != TrialState.WAITING))
    )


def make_sampler(strategy: str, space: SearchSpace, seed: int, budget: int, **kwargs: Any) -> StrategySampler:
    return StrategySampler(make_strategy(strategy, space, seed, budget, **kwargs))


def study_trials(study: optuna.Study, states: Sequence[TrialState] | None = None) -> list[FrozenTrial]:
    """The study's trials (not the waiting ones by default), in trial order."""
    states = states or (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL, TrialState.RUNNING)
    return sorted(study.get_trials(deepcopy=False, states=tuple(states)), key=lambda t: t.number)
