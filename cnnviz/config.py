"""What defines a training run (d2l 6.6 ``train_ch6`` defaults), apart from how it is trained.

:class:`RunConfig` is plain data: the run store keeps it as JSON, run files carry it, worker
processes and Ray workers receive it as a dict. It imports no training code, so the store, the
run files and the pages can use it without pulling in the trainer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from cnnviz.models import ModelSpec, spec_from_dict, spec_to_dict

# Bounds of a run's settings: far above anything a lesson needs, far below what would overflow
# SQLite's integers or fill a disk (a run file or a crafted link may carry any number).
MAX_EPOCHS = 1_000
MAX_BATCH = 8_192
MAX_EXAMPLES = 60_000  # Fashion-MNIST's training split
MAX_VAL_EXAMPLES = 10_000  # and its test split
MAX_SEED = 2**63 - 1  # what torch.Generator.manual_seed takes
MAX_LR = 100.0
DEVICES = ("auto", "cpu", "cuda")


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class RunConfig:
    """Everything that defines a training run; stored with the run (d2l 6.6 defaults).

    Attributes:
        spec: the network (a cnnviz.models spec).
        num_epochs: d2l's ``num_epochs``.
        lr: SGD learning rate; None means the spec's (d2l's lr for that model).
        batch_size: d2l's 128.
        limit: train on the first ``limit`` examples of a seeded permutation of the 60k.
        val_limit: validate on the first ``val_limit`` test examples.
        seed: seeds the init, the data order and dropout, each through a generator of the
            run's own (never the process-global one).
        device: "auto", "cpu" or "cuda".
    """

    spec: ModelSpec
    num_epochs: int = 10
    lr: float | None = None
    batch_size: int = 128
    limit: int | None = None
    val_limit: int | None = None
    seed: int = 0
    device: str = "auto"

    @property
    def effective_lr(self) -> float:
        return float(self.spec.lr if self.lr is None else self.lr)

    def to_dict(self) -> dict:
        """JSON-ready, the spec via ``spec_to_dict``."""
        return {
            "spec": spec_to_dict(self.spec),
            "num_epochs": self.num_epochs,
            "lr": self.lr,
            "batch_size": self.batch_size,
            "limit": self.limit,
            "val_limit": self.val_limit,
            "seed": self.seed,
            "device": self.device,
        }

    @classmethod
    def from_dict(cls, d: dict) -> RunConfig:
        d = dict(d)
        spec = d.pop("spec")
        if isinstance(spec, dict):
            spec = spec_from_dict(spec)
        return cls(spec=spec, **d)

    def validate(self) -> None:
        """Raise ValueError with a readable message for settings that cannot train."""
        for name, low, high in (
            ("num_epochs", 1, MAX_EPOCHS),
            ("batch_size", 1, MAX_BATCH),
            ("seed", 0, MAX_SEED),
        ):
            value = getattr(self, name)
            if not _is_int(value) or not low <= value <= high:
                raise ValueError(f"{name} must be a whole number from {low} to {high:,}")
        for name, high in (("limit", MAX_EXAMPLES), ("val_limit", MAX_VAL_EXAMPLES)):
            value = getattr(self, name)
            if value is not None and (not _is_int(value) or not 1 <= value <= 2**31):
                raise ValueError(
                    f"{name} (subset size) must be a whole number of at least 1 "
                    f"(anything from {high:,} up means all of them)"
                )
        lr = self.lr
        if lr is not None and (isinstance(lr, bool) or not isinstance(lr, int | float)):
            raise ValueError("lr must be a number")
        eff = self.effective_lr
        if not (math.isfinite(eff) and 0 < eff <= MAX_LR):
            raise ValueError(f"lr must be positive and at most {MAX_LR:g}")
        if self.device not in DEVICES:
            raise ValueError(f"device must be auto, cpu or cuda, not {self.device!r}")
