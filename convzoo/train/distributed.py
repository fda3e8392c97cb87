"""DDP under torchrun: process group from the environment (gloo on CPU, nccl on GPU); rank 0 writes."""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as td


@dataclass
class DistContext:
    """This process's rank and the world size (1 when not launched by torchrun)."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @classmethod
    def from_env(cls, device: torch.device) -> DistContext:
        """Join the process group torchrun describes in RANK / WORLD_SIZE, if any."""
        world = int(os.environ.get("WORLD_SIZE", "1"))
        if world <= 1:
            return cls()
        if not td.is_initialized():
            td.init_process_group("nccl" if device.type == "cuda" else "gloo")
        ctx = cls(td.get_rank(), td.get_world_size(), int(os.environ.get("LOCAL_RANK", "0")))
        if device.type == "cpu":  # share the cores instead of oversubscribing them
            torch.set_num_threads(max(1, (os.cpu_count() or 1) // max(1, ctx.world)))
        return ctx

    def all_reduce(self, tensor: torch.Tensor) -> torch.Tensor:
        """The sum of `tensor` over ranks (returned; the input is not changed)."""
        if self.world == 1:
            return tensor
        out = tensor.clone()
        td.all_reduce(out)
        return out

    def broadcast_object(self, obj: object) -> object:
        """Rank 0's value of obj on every rank."""
        if self.world == 1:
            return obj
        box = [obj]
        td.broadcast_object_list(box, src=0)
        return box[0]

    def close(self) -> None:
        if self.world > 1 and td.is_initialized():
            td.destroy_process_group()
